import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import AlbumForm from './AlbumForm.svelte';
import { type Album, type AlbumToSave, ApiProblem } from './api.ts';

/** vi.waitFor's 1 s is too short on a loaded CI machine; a broken form still fails here. */
const SETTLE = { timeout: 10_000 };

const typeInto = async (label: RegExp, value: string) =>
  fireEvent.input(screen.getByLabelText(label), { target: { value } });

/** The text of the element that describes the field, as assistive technology reads it. */
function descriptionOf(label: RegExp): string {
  const input = screen.getByLabelText(label);
  const ids = input.getAttribute('aria-describedby') ?? '';
  return ids
    .split(' ')
    .map((id) => document.getElementById(id)?.textContent?.trim() ?? '')
    .join(' ');
}

async function fillAndSubmit(title: string, artist: string, price: string) {
  await typeInto(/title/i, title);
  await typeInto(/artist/i, artist);
  await typeInto(/price/i, price);
  await fireEvent.click(screen.getByRole('button', { name: /add album/i }));
}

describe('AlbumForm', () => {
  it('shows an error next to an empty title and does not send', async () => {
    const save = vi.fn();
    render(AlbumForm, { save });
    await fillAndSubmit('   ', 'John Coltrane', '56.99');
    const title = screen.getByLabelText(/title/i);
    expect(title.getAttribute('aria-invalid')).toBe('true');
    expect(descriptionOf(/title/i)).toMatch(/title is required/i);
    expect(document.activeElement).toBe(title);
    expect(save).not.toHaveBeenCalled();
  });

  it('refuses a negative price', async () => {
    const save = vi.fn();
    render(AlbumForm, { save });
    await fillAndSubmit('Blue Train', 'John Coltrane', '-0.004');
    expect(screen.getByLabelText(/price/i).getAttribute('aria-invalid')).toBe('true');
    expect(descriptionOf(/price/i)).toMatch(/must not be negative/i);
    expect(screen.getByLabelText(/title/i).getAttribute('aria-invalid')).toBeNull();
    expect(save).not.toHaveBeenCalled();
  });

  it('sends trimmed values and the price as a number rounded to cents', async () => {
    const save = vi.fn(async (a: Omit<Album, 'id'>): Promise<Album> => ({ id: 7, ...a }));
    const onsaved = vi.fn();
    render(AlbumForm, { save, onsaved });
    await fillAndSubmit('  Blue Train ', 'John Coltrane', '56.985');
    await vi.waitFor(() => expect(onsaved).toHaveBeenCalled(), SETTLE);
    expect(save).toHaveBeenCalledWith({
      title: 'Blue Train',
      artist: 'John Coltrane',
      price: 56.99,
    });
  });

  it('puts a server problem on the field its pointer names', async () => {
    const save = vi.fn(async () => {
      throw new ApiProblem(400, 'The request body is invalid', {
        price: 'must be less than 99999999.995',
      });
    });
    render(AlbumForm, { save });
    await fillAndSubmit('Blue Train', 'John Coltrane', '56.99');
    await vi.waitFor(
      () => expect(screen.getByLabelText(/price/i).getAttribute('aria-invalid')).toBe('true'),
      SETTLE,
    );
    expect(descriptionOf(/price/i)).toMatch(/must be less than 99999999\.995/);
  });

  it('edits an album: starts from its values and sends its id', async () => {
    const album: Album = { id: 42, title: 'Blue Train', artist: 'John Coltrane', price: 56.99 };
    const save = vi.fn(async (a: AlbumToSave): Promise<Album> => ({ id: album.id, ...a }));
    render(AlbumForm, { album, save });
    expect(screen.getByRole('heading').textContent).toMatch(/edit album #42/i);
    expect((screen.getByLabelText(/price/i) as HTMLInputElement).value).toBe('56.99');
    await typeInto(/price/i, '60');
    await fireEvent.click(screen.getByRole('button', { name: /save changes/i }));
    await vi.waitFor(() => expect(save).toHaveBeenCalledWith({ ...album, price: 60 }), SETTLE);
  });

  it('cancels an edit on Escape, and leaves a new album alone', async () => {
    const album: Album = { id: 42, title: 'Blue Train', artist: 'John Coltrane', price: 56.99 };
    const oncancel = vi.fn();
    const { unmount } = render(AlbumForm, { album, save: vi.fn(), oncancel });
    await fireEvent.keyDown(screen.getByLabelText(/price/i), { key: 'Escape' });
    expect(oncancel).toHaveBeenCalledOnce();
    unmount();
    render(AlbumForm, { save: vi.fn(), oncancel });
    await fireEvent.keyDown(screen.getByLabelText(/title/i), { key: 'Escape' });
    expect(oncancel).toHaveBeenCalledOnce();
  });
});
