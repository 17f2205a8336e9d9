import { describe, expect, it } from 'vitest';
import { AlbumLimits } from '../../../src/domain/album.ts';
import { checkAlbum, Limits } from './rules.ts';

const ok = { title: 'Blue Train', artist: 'John Coltrane', price: '56.99' };

describe('album rules', () => {
  it('are the server’s limits', () => {
    expect(Limits.maxText).toBe(AlbumLimits.maxText);
    expect(Limits.maxPrice).toBe(AlbumLimits.maxPrice);
  });

  it('accept what the server accepts', () => {
    expect(checkAlbum(ok)).toEqual({
      ok: true,
      album: { title: 'Blue Train', artist: 'John Coltrane', price: 56.99 },
    });
    expect(checkAlbum({ ...ok, price: '0' }).ok).toBe(true);
    expect(checkAlbum({ ...ok, price: '99999999.99' }).ok).toBe(true);
    expect(checkAlbum({ ...ok, title: 'é'.repeat(200) }).ok).toBe(true);
  });

  it('refuse what the server refuses', () => {
    const errors = (draft: Partial<typeof ok>) => {
      const result = checkAlbum({ ...ok, ...draft });
      return result.ok ? {} : result.errors;
    };
    expect(errors({ title: '  ' }).title).toMatch(/required/);
    expect(errors({ artist: 'x'.repeat(201) }).artist).toMatch(/at most 200/);
    expect(errors({ price: '1.234' }).price).toMatch(/2 decimals/);
    expect(errors({ price: '-1' }).price).toBeDefined();
    expect(errors({ price: '100000000' }).price).toMatch(/at most/);
    expect(errors({ price: 'abc' }).price).toBeDefined();
  });
});
