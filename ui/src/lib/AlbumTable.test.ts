import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import AlbumTable from './AlbumTable.svelte';
import type { Row } from './rows.ts';

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
    render(AlbumTable, { rows });
    const blueTrain = screen.getByText('Blue Train').closest('tr') as HTMLElement;
    expect(within(blueTrain).getByText('$56.99')).toBeTruthy();
    expect(screen.getByText('$1,234.50')).toBeTruthy();
    expect(screen.getByText('Accepted')).toBeTruthy();
    expect(screen.getByText('Stored')).toBeTruthy();
  });

  it('sorts the page by a column, both ways', async () => {
    render(AlbumTable, { rows });
    expect(titles()).toEqual(['Blue Train', 'Giant Steps', 'Jeru']);
    await fireEvent.click(screen.getByRole('button', { name: /price/i }));
    expect(titles()).toEqual(['Jeru', 'Blue Train', 'Giant Steps']);
    const price = screen.getByRole('columnheader', { name: /price/i });
    expect(price.getAttribute('aria-sort')).toBe('ascending');
    await fireEvent.click(screen.getByRole('button', { name: /price/i }));
    expect(titles()).toEqual(['Giant Steps', 'Blue Train', 'Jeru']);
    expect(price.getAttribute('aria-sort')).toBe('descending');
  });

  it('says when nothing matches, and when loading failed', async () => {
    const { rerender } = render(AlbumTable, { rows: [], query: 'zzz' });
    expect(screen.getByText(/no albums match “zzz”/i)).toBeTruthy();
    await rerender({ rows: [], error: 'The server answered 500' });
    expect(screen.getByRole('alert').textContent).toMatch(/could not be loaded/i);
  });
});
