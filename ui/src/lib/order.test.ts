import { describe, expect, it } from 'vitest';
import type { Album } from './api.ts';
import { compareAlbums, placeInPage } from './order.ts';

const album = (id: number, title: string, price: number): Album => ({
  id,
  title,
  artist: 'A',
  price,
});
const byPrice = { key: 'price', descending: false } as const;
const ids = (albums: Album[]) => albums.map((a) => a.id);

describe('order', () => {
  it('breaks ties by id in the direction of the sort', () => {
    const a = album(1, 'x', 5);
    const b = album(2, 'y', 5);
    expect(compareAlbums(a, b, byPrice)).toBeLessThan(0);
    expect(compareAlbums(a, b, { key: 'price', descending: true })).toBeGreaterThan(0);
  });

  it('puts a new album where it belongs in the page, not at the bottom', () => {
    const page = [album(1, 'a', 10), album(2, 'b', 20), album(3, 'c', 30)];
    const placed = placeInPage(page, [album(9, 'n', 15)], byPrice, { first: true, last: true });
    expect(ids(placed)).toEqual([1, 9, 2, 3]);
  });

  it('leaves out albums that sort onto another page', () => {
    const page = [album(1, 'a', 10), album(2, 'b', 20)];
    const middle = { first: false, last: false };
    expect(ids(placeInPage(page, [album(8, 'x', 5), album(9, 'y', 25)], byPrice, middle))).toEqual([
      1, 2,
    ]);
    // The first page takes what sorts before it, the last what sorts after it.
    const both = [album(8, 'x', 5), album(9, 'y', 25)];
    expect(ids(placeInPage(page, both, byPrice, { first: true, last: false }))).toEqual([8, 1, 2]);
    expect(ids(placeInPage(page, both, byPrice, { first: false, last: true }))).toEqual([1, 2, 9]);
    // An album already on the page is not shown twice.
    expect(ids(placeInPage(page, [album(2, 'b', 20)], byPrice, middle))).toEqual([1, 2]);
  });
});
