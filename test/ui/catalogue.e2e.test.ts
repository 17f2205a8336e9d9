// The catalogue's UI end to end (issue 16): the list's state in the address, deletes with
// Undo, the saved notice, Escape and unsaved changes, and dark mode — on the real stack.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { uniqueName, waitFor } from '../support/stack.ts';
import { AXE, AXE_RUN, launchBrowser, shots, startStack } from './browser.ts';

interface Album {
  id: number;
  title: string;
  artist: string;
  price: number;
}

const rowIds = (page: Page) =>
  page
    .locator('tbody tr[data-album-id]')
    .evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-album-id'))));

/** Waits until the table shows exactly `ids`, in that order. */
async function showsIds(page: Page, ids: number[], what: string): Promise<void> {
  await waitFor(
    what,
    async () => (JSON.stringify(await rowIds(page)) === JSON.stringify(ids) ? true : undefined),
    30_000,
  );
}

test('the catalogue keeps its state in the address, deletes with undo and has a dark mode', async (t) => {
  mkdirSync(shots, { recursive: true });
  const stack = await startStack();
  t.after(stack.stop);
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  const api = (path: string, init?: RequestInit) => fetch(`${stack.base}${path}`, init);

  // 25 albums of a word of their own, so that searching for it shows them alone.
  const word = `Cat${uniqueName('x')
    .slice(-6)
    .replace(/[^a-z0-9]/gi, '')}`;
  const created = await api('/api/v1/albums', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(
      Array.from({ length: 25 }, (_, i) => ({
        title: `${word} ${String(i + 1).padStart(2, '0')}`,
        artist: 'Catalogue Test',
        price: 10 + ((i * 7) % 25),
      })),
    ),
  });
  assert.equal(created.status, 202, await created.text());
  const mine = await waitFor(
    'the 25 albums to be stored',
    async () => {
      const res = await api(`/api/v1/albums?q=${word}&limit=100`);
      const albums = (await res.json()) as Album[];
      return albums.length === 25 ? albums : undefined;
    },
    60_000,
  );
  const byId = mine.map((a) => a.id).sort((a, b) => a - b);

  await t.test(
    'search, page and page size live in the address: reload and back keep them',
    async () => {
      await page.goto(`${stack.base}/?q=${word}&limit=10`);
      await showsIds(page, byId.slice(0, 10), 'the first page of 10');
      assert.equal(await page.getByLabel('Search albums').inputValue(), word);
      assert.equal(await page.getByLabel('Per page').inputValue(), '10');
      assert.match((await page.locator('.range').textContent()) ?? '', /^1–10( of 25)?$/);

      await page.getByRole('button', { name: 'Next' }).click();
      await showsIds(page, byId.slice(10, 20), 'the second page');
      const second = new URL(page.url());
      assert.equal(second.searchParams.get('page'), '2');
      assert.ok(second.searchParams.get('cursor'), 'the page position is in the address');
      assert.match((await page.locator('.range').textContent()) ?? '', /^11–20( of 25)?$/);

      await page.reload();
      await showsIds(page, byId.slice(10, 20), 'the second page after a reload');
      await page.getByRole('button', { name: 'Previous' }).click();
      await showsIds(page, byId.slice(0, 10), 'Previous after a reload');

      await page.goBack();
      await showsIds(page, byId.slice(10, 20), 'back to the second page');
      await page.goBack();
      await showsIds(page, byId.slice(0, 10), 'back to the first page');
      await page.goForward();
      await showsIds(page, byId.slice(10, 20), 'forward to the second page');

      // Another page size starts from the first page, in a new history entry.
      await page.getByLabel('Per page').selectOption('50');
      await showsIds(page, byId, 'all 25 at 50 a page');
      assert.equal(new URL(page.url()).searchParams.get('limit'), '50');
      assert.equal(new URL(page.url()).searchParams.get('cursor'), null);
      await page.goBack();
      await showsIds(page, byId.slice(10, 20), 'back to 10 a page');

      // Typing a search replaces the entry (no entry per keystroke) and a shared link shows it.
      await page.getByLabel('Search albums').fill(`${word} 2`);
      await waitFor('the search in the address', async () =>
        new URL(page.url()).searchParams.get('q') === `${word} 2` ? true : undefined,
      );
      const shared = page.url();
      const other = await context.newPage();
      await other.goto(shared);
      const twenties = mine.filter((a) => a.title.startsWith(`${word} 2`)).map((a) => a.id);
      await showsIds(
        other,
        twenties.sort((a, b) => a - b),
        'the shared link',
      );
      await other.close();
      await page.screenshot({ path: join(shots, 'catalogue-url-state.png'), fullPage: true });
    },
  );

  await t.test('a sort lives in the address and survives a reload', async () => {
    await page.goto(`${stack.base}/?q=${word}&limit=10`);
    await showsIds(page, byId.slice(0, 10), 'the first page');
    await page.getByRole('button', { name: /^Price/ }).click();
    await waitFor('the sort in the address', async () =>
      new URL(page.url()).searchParams.get('sort') === 'price' ? true : undefined,
    );
    await page.getByRole('button', { name: /^Price/ }).click();
    await waitFor('the descending sort in the address', async () =>
      new URL(page.url()).searchParams.get('sort') === '-price' ? true : undefined,
    );
    await page.reload();
    const price = page.getByRole('columnheader', { name: /Price/ });
    await page.locator('tbody tr[data-album-id]').first().waitFor();
    assert.equal(await price.getAttribute('aria-sort'), 'descending');
    await page.goBack();
    await waitFor('back to ascending', async () =>
      (await price.getAttribute('aria-sort')) === 'ascending' ? true : undefined,
    );
  });

  await t.test("sorting is the server's: the whole catalogue, page after page", async () => {
    // Ties by id in the direction of the sort, as the API documents.
    const expected = [...mine].sort((a, b) => b.price - a.price || b.id - a.id).map((a) => a.id);
    await page.goto(`${stack.base}/?q=${word}&sort=-price&limit=10`);
    await showsIds(page, expected.slice(0, 10), 'the 10 dearest');
    assert.equal((await page.locator('.range').textContent())?.trim(), '1–10 of 25');
    await page.getByRole('button', { name: 'Next' }).click();
    await showsIds(page, expected.slice(10, 20), 'the next 10 by price');
    await page.getByRole('button', { name: 'Next' }).click();
    await showsIds(page, expected.slice(20), 'the 5 cheapest');
    assert.equal((await page.locator('.range').textContent())?.trim(), '21–25 of 25');
    assert.equal(await page.getByRole('button', { name: 'Next' }).isDisabled(), true);
    await page.reload();
    await showsIds(page, expected.slice(20), 'the last page after a reload');
    await page.getByRole('button', { name: 'Previous' }).click();
    await showsIds(page, expected.slice(10, 20), 'Previous, from the rel="prev" link');
    await page.getByRole('button', { name: 'First' }).click();
    await showsIds(page, expected.slice(0, 10), 'First');
    await page.screenshot({ path: join(shots, 'catalogue-sorted.png'), fullPage: true });
  });

  const deletes: string[] = [];
  page.on('request', (req) => {
    if (req.method() === 'DELETE' || req.url().endsWith('/api/v1/albums:delete'))
      deletes.push(`${req.method()} ${new URL(req.url()).pathname} ${req.postData() ?? ''}`);
  });
  const target = mine[0] as Album;
  const pair = [mine[1] as Album, mine[2] as Album];

  await t.test('delete asks first, hides the row, and Undo sends nothing', async () => {
    await page.goto(`${stack.base}/?q=${word}&limit=50`);
    await showsIds(page, byId, 'all 25');
    const row = page.locator(`tr[data-album-id="${target.id}"]`);
    await row.getByRole('button', { name: `Delete ${target.title}` }).click();
    const dialog = page.getByRole('dialog', { name: `Delete “${target.title}”?` });
    await dialog.waitFor();
    await page.screenshot({ path: join(shots, 'catalogue-delete-confirm.png') });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await row.count(), 1, 'Cancel keeps the album');

    await row.getByRole('button', { name: `Delete ${target.title}` }).click();
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    await row.waitFor({ state: 'detached' });
    const toast = page.locator('.toast', { hasText: `“${target.title}” deleted.` });
    await toast.waitFor();
    await page.screenshot({ path: join(shots, 'catalogue-undo.png') });
    await toast.getByRole('button', { name: 'Undo' }).click();
    await row.waitFor();
    await page.waitForTimeout(6000);
    assert.deepEqual(deletes, [], 'nothing was sent');
    assert.equal((await api(`/api/v1/albums/${target.id}`)).status, 200);
  });

  await t.test('a delete goes out after the undo time and the row stays gone', async () => {
    const row = page.locator(`tr[data-album-id="${target.id}"]`);
    await row.getByRole('button', { name: `Delete ${target.title}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete', exact: true }).click();
    await row.waitFor({ state: 'detached' });
    await waitFor('the DELETE request', async () => (deletes.length === 1 ? true : undefined));
    assert.deepEqual(deletes, [`DELETE /api/v1/albums/${target.id} `]);
    await waitFor('the album to be gone', async () =>
      (await api(`/api/v1/albums/${target.id}`)).status === 404 ? true : undefined,
    );
    await page.waitForTimeout(1500);
    assert.equal(await row.count(), 0, 'the reload after the tombstone does not bring it back');
  });

  await t.test('several albums are deleted in one request', async () => {
    deletes.length = 0;
    for (const album of pair)
      await page.getByRole('checkbox', { name: `Select ${album.title}` }).check();
    const bar = page.getByRole('region', { name: 'Selected albums' });
    assert.match((await bar.textContent()) ?? '', /2 selected/);
    await page.screenshot({ path: join(shots, 'catalogue-bulk.png') });
    await bar.getByRole('button', { name: 'Delete selected' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete 2 albums' }).click();
    for (const album of pair)
      await page.locator(`tr[data-album-id="${album.id}"]`).waitFor({ state: 'detached' });
    await waitFor('the batch delete', async () => (deletes.length === 1 ? true : undefined));
    assert.deepEqual(deletes, [
      `POST /api/v1/albums:delete ${JSON.stringify({ ids: pair.map((a) => a.id) })}`,
    ]);
    for (const album of pair)
      await waitFor(`album ${album.id} to be gone`, async () =>
        (await api(`/api/v1/albums/${album.id}`)).status === 404 ? true : undefined,
      );
  });

  await t.test('a saved album is confirmed with a link to it', async () => {
    const title = `${word} saved`;
    await page.getByLabel('Title').fill(title);
    await page.getByLabel('Artist').fill('Catalogue Test');
    await page.getByLabel('Price (USD)').fill('11.00');
    await page.getByRole('button', { name: 'Add album' }).click();
    const toast = page.locator('.toast.success', { hasText: title });
    await toast.waitFor();
    const id = Number(/album #(\d+)/.exec((await toast.textContent()) ?? '')?.[1]);
    assert.ok(id > 0, 'the notice names the album');
    await page.screenshot({ path: join(shots, 'catalogue-saved.png') });
    await toast.getByRole('link', { name: 'Open it' }).click();
    await page.getByRole('heading', { name: `Edit album #${id}` }).waitFor();
    assert.equal(new URL(page.url()).searchParams.get('album'), String(id));
    // The link works in a tab of its own too.
    const other = await context.newPage();
    await other.goto(page.url());
    await other.getByRole('heading', { name: `Edit album #${id}` }).waitFor();
    assert.equal(await other.getByLabel('Title').inputValue(), title);
    await other.close();
  });

  await t.test(
    'Escape cancels an edit, and unsaved changes are not dropped without asking',
    async () => {
      await page.keyboard.press('Escape');
      await page.getByRole('heading', { name: 'Add an album' }).waitFor();
      assert.equal(new URL(page.url()).searchParams.get('album'), null);

      const album = mine[3] as Album;
      await page.getByRole('button', { name: `Edit ${album.title}` }).click();
      await page.getByLabel('Title').fill(`${album.title} changed`);
      await page.keyboard.press('Escape');
      const ask = page.getByRole('dialog', { name: 'Discard your changes?' });
      await ask.waitFor();
      await page.screenshot({ path: join(shots, 'catalogue-discard.png') });
      await ask.getByRole('button', { name: 'Keep editing' }).click();
      assert.equal(await page.getByLabel('Title').inputValue(), `${album.title} changed`);

      // Another album's Edit asks too.
      const other = mine[4] as Album;
      await page.getByRole('button', { name: `Edit ${other.title}` }).click();
      await ask.waitFor();
      await ask.getByRole('button', { name: 'Discard changes' }).click();
      await page.getByRole('heading', { name: `Edit album #${other.id}` }).waitFor();

      // Leaving the page with changes asks the browser's question.
      await page.getByLabel('Title').fill(`${other.title} changed`);
      let asked = '';
      page.once('dialog', (dialog) => {
        asked = dialog.type();
        void dialog.accept();
      });
      await page.close({ runBeforeUnload: true });
      await waitFor('the beforeunload question', async () => (asked ? true : undefined));
      assert.equal(asked, 'beforeunload');
    },
  );

  await t.test('explains the — status', async () => {
    const fresh = await context.newPage();
    await fresh.goto(`${stack.base}/?q=${word}`);
    const dash = fresh.getByRole('img', { name: 'Stored earlier' }).first();
    await dash.waitFor();
    assert.match((await dash.getAttribute('title')) ?? '', /stored earlier/i);
    assert.match((await fresh.locator('.note').textContent()) ?? '', /— Stored earlier/);
    await fresh.close();
  });

  await t.test('a new album appears where it belongs in the sort, not at the bottom', async () => {
    const sorted = await context.newPage();
    await sorted.goto(`${stack.base}/?q=${word}&sort=price&limit=10`);
    await sorted.locator('tbody tr[data-album-id]').first().waitFor();
    await sorted.getByLabel('Title').fill(`${word} cheapest`);
    await sorted.getByLabel('Artist').fill('Catalogue Test');
    await sorted.getByLabel('Price (USD)').fill('0.50');
    await sorted.getByRole('button', { name: 'Add album' }).click();
    const toast = sorted.locator('.toast.success', { hasText: `${word} cheapest` });
    const id = Number(/album #(\d+)/.exec((await toast.textContent()) ?? '')?.[1]);
    const first = sorted.locator('tbody tr[data-album-id]').first();
    await waitFor('the new album on top', async () =>
      Number(await first.getAttribute('data-album-id')) === id ? true : undefined,
    );
    await first.locator('.badge.stored').waitFor({ timeout: 60_000 });
    // Still there once the page was fetched again with it.
    await sorted.waitForTimeout(1500);
    assert.equal(Number(await first.getAttribute('data-album-id')), id);
    assert.equal(await sorted.locator('tbody tr[data-album-id]').count(), 10);
    await sorted.screenshot({ path: join(shots, 'catalogue-placed.png'), fullPage: true });
    await sorted.close();
  });

  await t.test('dark mode follows the system, with no WCAG 2 A/AA violations', async () => {
    const dark = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      colorScheme: 'dark',
      bypassCSP: true,
    });
    t.after(() => dark.close());
    const night = await dark.newPage();
    await night.goto(`${stack.base}/?q=${word}&limit=10`);
    await night.locator('tbody tr[data-album-id]').first().waitFor();
    const background = (await night.evaluate(
      'getComputedStyle(document.documentElement).backgroundColor',
    )) as string;
    const [r = 255, g = 255, b = 255] = (background.match(/\d+/g) ?? []).map(Number);
    assert.ok(r + g + b < 120, `the page is dark (${background})`);
    // Everything at once: a ticked row, the bulk bar, an invalid form and a notice.
    await night.locator('tbody input[type="checkbox"]').first().check();
    await night.getByRole('button', { name: 'Add album' }).click();
    await night.locator('[aria-invalid="true"]').first().waitFor();
    await night.screenshot({ path: join(shots, 'catalogue-dark.png'), fullPage: true });
    await night.addScriptTag({ path: AXE });
    const result = (await night.evaluate(AXE_RUN)) as { passed: number; violations: string[] };
    assert.ok(result.passed > 10, `axe ran its rules (${result.passed} passed)`);
    assert.deepEqual(result.violations, []);
    // The confirmation dialog, too.
    await night
      .locator('tbody tr[data-album-id]')
      .first()
      .getByRole('button', { name: /^Delete/ })
      .click();
    await night.getByRole('dialog').waitFor();
    await night.screenshot({ path: join(shots, 'catalogue-dark-dialog.png') });
    const inDialog = (await night.evaluate(AXE_RUN)) as { violations: string[] };
    assert.deepEqual(inDialog.violations, []);
  });

  assert.deepEqual(pageErrors, []);
});
