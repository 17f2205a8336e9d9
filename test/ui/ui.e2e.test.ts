// The UI end to end: the real stack from infra/start.ts, driven in Chromium through the page.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import { uniqueName, waitFor } from '../support/stack.ts';
import { AXE, AXE_RUN, launchBrowser, shots, startStack } from './browser.ts';

const textOf = async (locator: Locator) => (await locator.textContent()) ?? '';
const row = (page: Page, text: string) => page.locator('tbody tr', { hasText: text });

test('the UI browses, validates, creates and edits albums and shows them stored live', async (t) => {
  mkdirSync(shots, { recursive: true });
  const stack = await startStack();
  t.after(stack.stop);
  const browser: Browser = await launchBrowser();
  t.after(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  // Anything the Content-Security-Policy blocked is reported on the console.
  const blocked: string[] = [];
  const watchCsp = (p: Page) =>
    p.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) blocked.push(message.text());
    });
  watchCsp(page);

  await t.test('shows the seed albums with prices as currency', async () => {
    await page.goto(`${stack.base}/`);
    const blueTrain = row(page, 'Blue Train');
    await blueTrain.first().waitFor();
    const text = await textOf(blueTrain.first());
    assert.match(text, /John Coltrane/);
    assert.match(text, /\$56\.99/);
    await page.locator('.live-pill.live').waitFor({ timeout: 60_000 });
    await page.screenshot({ path: join(shots, 'albums.png'), fullPage: true });
  });

  // Set once: were the page to reload, it would be gone.
  await page.evaluate('window.noReload = true');
  const title = `E2E ${uniqueName('album').slice(-6)}`;

  await t.test('refuses an empty title next to the field', async () => {
    await page.getByLabel('Title').fill('   ');
    await page.getByLabel('Artist').fill('Nobody');
    await page.getByLabel('Price (USD)').fill('-1');
    await page.getByRole('button', { name: 'Add album' }).click();
    const titleInput = page.getByLabel('Title');
    assert.equal(await titleInput.getAttribute('aria-invalid'), 'true');
    const describedBy = await titleInput.getAttribute('aria-describedby');
    assert.match(await textOf(page.locator(`[id="${describedBy}"]`)), /Title is required/);
    assert.match(
      await textOf(page.locator('.field.invalid', { hasText: 'Price' })),
      /must not be negative/,
    );
    assert.equal(await page.evaluate("document.activeElement?.getAttribute('name')"), 'title');
    await page.screenshot({ path: join(shots, 'validation.png'), fullPage: true });
  });

  await t.test('creates an album that becomes stored without a reload', async () => {
    await page.getByLabel('Title').fill(title);
    await page.getByLabel('Artist').fill('Test Ensemble');
    await page.getByLabel('Price (USD)').fill('12.50');
    await page.getByRole('button', { name: 'Add album' }).click();
    const created = row(page, title);
    await created.waitFor();
    assert.match(await textOf(created), /\$12\.50/);
    await created.locator('.badge.stored').waitFor({ timeout: 60_000 });
    await page.screenshot({ path: join(shots, 'stored.png'), fullPage: true });
  });

  await t.test('finds it with the search box', async () => {
    await page.getByLabel('Search albums').fill(title);
    await waitFor('the search to narrow the table', async () =>
      (await page.locator('tbody tr[data-album-id]').count()) === 1 ? true : undefined,
    );
    assert.match(await textOf(page.locator('tbody tr[data-album-id]')), new RegExp(title));
  });

  await t.test('edits it and shows the new price, stored', async () => {
    const created = row(page, title);
    await created.getByRole('button', { name: `Edit ${title}` }).click();
    const price = page.getByLabel('Price (USD)');
    assert.equal(await price.inputValue(), '12.50');
    await page.screenshot({ path: join(shots, 'editing.png'), fullPage: true });
    await price.fill('15.75');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await waitFor('the new price', async () =>
      /\$15\.75/.test(await textOf(created)) ? true : undefined,
    );
    await created.locator('.badge.stored').waitFor({ timeout: 60_000 });
    const id = Number(await created.getAttribute('data-album-id'));
    const stored = (await (await fetch(`${stack.base}/api/v1/albums/${id}`)).json()) as {
      price: number;
    };
    assert.equal(stored.price, 15.75);
    await page.screenshot({ path: join(shots, 'edited.png'), fullPage: true });
  });

  await t.test("shows someone else's album when it is stored", async () => {
    const res = await fetch(`${stack.base}/api/v1/album`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // A long word, too: it must wrap rather than widen the table.
      body: JSON.stringify({
        title: `${title} (live) ${'x'.repeat(150)}`,
        artist: 'Someone Else',
        price: 9.99,
      }),
    });
    assert.equal(res.status, 202);
    await row(page, `${title} (live)`).waitFor({ timeout: 60_000 });
    assert.equal(await page.evaluate("'noReload' in window"), true, 'the page never reloaded');
    await page.screenshot({ path: join(shots, 'live.png'), fullPage: true });
  });

  await t.test('has no WCAG 2 A/AA violations, in the table and the invalid form', async () => {
    // A page of its own that lets the test inject axe, which the UI's CSP rightly refuses.
    const audit = await browser.newContext({
      viewport: { width: 1280, height: 860 },
      bypassCSP: true,
    });
    t.after(() => audit.close());
    const page = await audit.newPage();
    await page.goto(`${stack.base}/`);
    await row(page, 'Blue Train').first().waitFor();
    await page.addScriptTag({ path: AXE });
    // An invalid form too: error text and aria-invalid fields must keep their contrast and names.
    await page.getByRole('button', { name: 'Add album' }).click();
    await page.locator('[aria-invalid="true"]').first().waitFor();
    const result = (await page.evaluate(AXE_RUN)) as { passed: number; violations: string[] };
    assert.ok(result.passed > 10, `axe ran its rules (${result.passed} passed)`);
    assert.deepEqual(result.violations, []);
  });

  await t.test('is usable from the keyboard alone', async () => {
    await page.goto(`${stack.base}/`);
    await row(page, 'Blue Train').first().waitFor();
    await page.getByLabel('Search albums').focus();
    // Tab order reaches the form's fields after the table, and Enter submits.
    const reached = new Set<string>();
    for (let i = 0; i < 200 && !reached.has('price'); i += 1) {
      await page.keyboard.press('Tab');
      reached.add(String(await page.evaluate("document.activeElement?.getAttribute('name')")));
    }
    assert.ok(reached.has('title') && reached.has('artist') && reached.has('price'));
    await page.keyboard.press('Enter');
    assert.equal(
      await page.getByLabel('Title').getAttribute('aria-invalid'),
      'true',
      'Enter in the form submits it and flags the empty title',
    );
  });

  await t.test('fits a phone screen', async () => {
    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    const small = await phone.newPage();
    await small.goto(`${stack.base}/`);
    await row(small, 'Blue Train').first().waitFor();
    const overflow = (await small.evaluate(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    )) as number;
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
    await small.screenshot({ path: join(shots, 'phone.png'), fullPage: true });
    await phone.close();
  });

  await t.test('the API docs work under the same Content-Security-Policy', async () => {
    const docs = await context.newPage();
    watchCsp(docs);
    const res = await docs.goto(`${stack.base}/docs/`);
    assert.ok(res?.headers()['content-security-policy'], 'the docs are served with the CSP');
    await docs.locator('.swagger-ui .info .title', { hasText: 'music-service' }).waitFor();
    // An operation opens, which needs the docs' own scripts and styles.
    await docs.locator('.opblock-summary', { hasText: '/api/v1/albums' }).first().click();
    await docs.locator('.opblock-body').first().waitFor();
    await docs.screenshot({ path: join(shots, 'docs.png') });
    await docs.close();
  });

  assert.deepEqual(pageErrors, []);
  assert.deepEqual(blocked, [], 'nothing was blocked by the Content-Security-Policy');
});
