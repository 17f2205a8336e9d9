import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import AlbumTable from './AlbumTable.svelte';
import type { Row } from './rows.ts';
import { DEFAULT_SORT } from './url-state.ts';

const sort = DEFAULT_SORT;

const rows: Row[] = [
  { album: { id: 1, title: 'Blue Train', artist: 'John Coltrane', price: 56.99 } },
  { album: { id: 3, title: 'Jeru', artist: 'Gerry Mulligan', price: 17.99 }, status: 'accepted' },
  {
    album: { id: 2, title: 'Giant Steps', artist: 'John Coltrane', price: 1234.5 },
    status: 'stored',
  },
];

const titles = () =>
  screen
    .getAllByRole('row')
    .slice(1)
    .map((r) => r.querySelector('.title')?.textContent);

describe('AlbumTable', () => {
  it('shows prices as currency and the status of writes', () => {
    render(AlbumTable, { rows, sort });
    const blueTrain = screen.getByText('Blue Train').closest('tr') as HTMLElement;
    expect(within(blueTrain).getByText('$56.99')).toBeTruthy();
    expect(screen.getByText('$1,234.50')).toBeTruthy();
    expect(screen.getByText('Accepted')).toBeTruthy();
    expect(screen.getByText('Stored')).toBeTruthy();
  });

  it('shows rows in the order given and asks for a sort by a column, both ways', async () => {
    const onsort = vi.fn();
    const { rerender } = render(AlbumTable, { rows, sort, onsort });
    expect(titles()).toEqual(['Blue Train', 'Jeru', 'Giant Steps']);
    await fireEvent.click(screen.getByRole('button', { name: /price/i }));
    expect(onsort).toHaveBeenLastCalledWith({ key: 'price', descending: false });
    await rerender({ rows, sort: { key: 'price', descending: false }, onsort });
    const price = screen.getByRole('columnheader', { name: /price/i });
    expect(price.getAttribute('aria-sort')).toBe('ascending');
    await fireEvent.click(screen.getByRole('button', { name: /price/i }));
    expect(onsort).toHaveBeenLastCalledWith({ key: 'price', descending: true });
  });

  it('explains the — status, and selects rows one by one or all at once', async () => {
    const onselect = vi.fn();
    render(AlbumTable, { rows, sort, onselect, selected: new Set([3]) });
    const dash = screen.getByRole('img', { name: 'Stored earlier' });
    expect(dash.getAttribute('title')).toMatch(/stored earlier/i);
    const all = screen.getByRole('checkbox', { name: /select all/i }) as HTMLInputElement;
    expect([all.checked, all.indeterminate]).toEqual([false, true]);
    await fireEvent.click(screen.getByRole('checkbox', { name: 'Select Blue Train' }));
    expect(onselect).toHaveBeenLastCalledWith([1], true);
    await fireEvent.click(all);
    expect(onselect).toHaveBeenLastCalledWith([1, 3, 2], true);
  });

  it('asks to delete a row', async () => {
    const ondelete = vi.fn();
    render(AlbumTable, { rows, sort, ondelete });
    await fireEvent.click(screen.getByRole('button', { name: 'Delete Giant Steps' }));
    expect(ondelete).toHaveBeenCalledWith(rows[2]?.album);
  });

  it('says when nothing matches, and when loading failed', async () => {
    const { rerender } = render(AlbumTable, { rows: [], sort, query: 'zzz' });
    expect(screen.getByText(/no albums match “zzz”/i)).toBeTruthy();
    await rerender({ rows: [], sort, error: 'The server answered 500' });
    expect(screen.getByRole('alert').textContent).toMatch(/could not be loaded/i);
  });
});
