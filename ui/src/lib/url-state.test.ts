import { describe, expect, it } from 'vitest';
import { formatSort, listStateQuery, parseSort, readListState } from './url-state.ts';

describe('url-state', () => {
  it('leaves the defaults out of the address', () => {
    const state = readListState('');
    expect(state).toEqual({
      q: '',
      sort: { key: 'id', descending: false },
      limit: 20,
      cursor: null,
      page: 1,
      album: null,
    });
    expect(listStateQuery(state)).toBe('');
  });

  it('reads back what it writes', () => {
    const state = {
      q: 'blue & train',
      sort: { key: 'price', descending: true },
      limit: 50,
      cursor: 'abc_-',
      page: 3,
      album: 42,
    } as const;
    const query = listStateQuery({ ...state, sort: { ...state.sort } });
    expect(query).toBe('?q=blue+%26+train&sort=-price&limit=50&page=3&cursor=abc_-&album=42');
    expect(readListState(query)).toEqual(state);
  });

  it('falls back to the default for anything it does not know', () => {
    const state = readListState('?sort=-colour&limit=7&page=0&album=x');
    expect(state.sort).toEqual({ key: 'id', descending: false });
    expect(state.limit).toBe(20);
    expect(state.page).toBe(1);
    expect(state.album).toBeNull();
    // A page number without a cursor is the first page.
    expect(readListState('?page=4').page).toBe(1);
  });

  it('spells sorts as the REST API does', () => {
    expect(parseSort('-title')).toEqual({ key: 'title', descending: true });
    expect(formatSort({ key: 'artist', descending: false })).toBe('artist');
  });
});
