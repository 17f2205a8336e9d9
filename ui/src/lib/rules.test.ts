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

  it('round the price to cents as the server stores it', () => {
    const priceOf = (price: string) => {
      const result = checkAlbum({ ...ok, price });
      return result.ok ? result.album.price : result.errors;
    };
    expect(priceOf('1.234')).toBe(1.23);
    expect(priceOf('1.005')).toBe(1.01);
    expect(priceOf('0.6782996')).toBe(0.68);
    expect(priceOf('99999999.994')).toBe(99999999.99);
    expect(priceOf('.5')).toBe(0.5);
  });

  it('refuse what the server refuses', () => {
    const errors = (draft: Partial<typeof ok>) => {
      const result = checkAlbum({ ...ok, ...draft });
      return result.ok ? {} : result.errors;
    };
    expect(errors({ title: '  ' }).title).toMatch(/required/);
    expect(errors({ artist: 'x'.repeat(201) }).artist).toMatch(/at most 200/);
    expect(errors({ price: '-1' }).price).toMatch(/negative/);
    expect(errors({ price: '-0.004' }).price).toMatch(/negative/);
    expect(errors({ price: '100000000' }).price).toMatch(/at most/);
    expect(errors({ price: '99999999.995' }).price).toMatch(/at most/);
    expect(errors({ price: '1e3' }).price).toMatch(/a number such as/);
    expect(errors({ price: 'abc' }).price).toBeDefined();
  });
});
