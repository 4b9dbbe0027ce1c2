import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, openBrowser, waitForHydration, screenshot, signIn } from '../lib/browser.mjs';

test('every page fits a 390 px wide phone without sideways scrolling', async () => {
  const browser = await openBrowser({ viewport: { width: 390, height: 844 } });
  try {
    const page = await browser.newPage();
    await signIn(page);
    await page.waitForURL(BASE_URL + '/');
    for (const path of ['/', '/overview', '/cities', '/pincodes', '/import', '/kafka', '/kafka/groups', '/kafka/dead-letters']) {
      await page.goto(BASE_URL + path);
      await waitForHydration(page);
      await page.locator('main h1').waitFor();
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.equal(width, 390, `${path} is ${width} px wide`);
      // Every control can be reached: the navigation links are visible.
      assert.ok(await page.getByRole('link', { name: 'Cities', exact: true }).isVisible());
    }
    await screenshot(page, 'pincodes-390');
    assert.deepEqual(browser.problems, []);
  } finally {
    await browser.close();
  }
});

test('the pages and the wasm bundle are sent compressed and the bundle cached for good; the live stream is not', async () => {
  const browser = await openBrowser();
  try {
    const page = await browser.newPage();
    await signIn(page);
    await page.waitForURL(BASE_URL + '/');
    // The bundle's files are named by their content, as the page links them.
    const html = await (await page.request.get(BASE_URL + '/cities')).text();
    const wasm = html.match(/\/pkg\/geoledger\.[\w-]+\.wasm/)?.[0];
    const js = html.match(/\/pkg\/geoledger\.[\w-]+\.js/)?.[0];
    assert.ok(wasm && js, 'the page links the wasm and its script by hashed names');
    for (const path of [wasm, js, '/cities']) {
      const res = await page.request.get(BASE_URL + path, { headers: { 'accept-encoding': 'gzip, br' } });
      assert.equal(res.status(), 200, path);
      assert.match(res.headers()['content-encoding'] ?? '', /^(br|gzip)$/, `${path} is compressed`);
    }
    for (const path of [wasm, js]) {
      const res = await page.request.get(BASE_URL + path);
      assert.match(res.headers()['cache-control'] ?? '', /immutable/, `${path} is kept by the browser`);
    }
    const pageRes = await page.request.get(BASE_URL + '/cities');
    assert.doesNotMatch(pageRes.headers()['cache-control'] ?? '', /immutable/, 'a page is never kept for good');
    const gzip = await page.request.get(BASE_URL + wasm, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(gzip.headers()['content-encoding'], 'gzip');
    const plain = await page.request.get(BASE_URL + wasm, { headers: { 'accept-encoding': 'identity' } });
    assert.equal(plain.headers()['content-encoding'], undefined, 'a client that takes no encoding gets the bytes as they are');
    // The live stream streams: its first bytes arrive uncompressed, at once.
    const first = await page.evaluate(async () => {
      const res = await fetch('/api/v1/stream');
      const reader = res.body.getReader();
      await reader.read();
      reader.cancel();
      return res.headers.get('content-encoding');
    });
    assert.equal(first, null);
  } finally {
    await browser.close();
  }
});
