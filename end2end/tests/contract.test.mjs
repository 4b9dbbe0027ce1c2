import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, openBrowser, screenshot, signIn, waitForHydration } from '../lib/browser.mjs';

test('/api/docs shows every REST route from the OpenAPI document, under the CSP, without signing in', async () => {
  const browser = await openBrowser();
  try {
    const page = await browser.newPage();
    const response = await page.goto(BASE_URL + '/api/docs');
    assert.equal(response.status(), 200, 'anyone may open the API documentation');
    const policy = response.headers()['content-security-policy'];
    const scripts = policy.split(';').map((d) => d.trim()).find((d) => d.startsWith('script-src'));
    // The same as every page's: the nonce, what it loads, and wasm; no 'unsafe-inline' or 'unsafe-eval'.
    assert.match(scripts, /^script-src 'nonce-[^']+' 'strict-dynamic' 'wasm-unsafe-eval'$/);

    // Swagger UI renders the document: one block per operation, grouped by tag.
    await page.waitForSelector('.opblock', { timeout: 20000 });
    const doc = await (await fetch(BASE_URL + '/api/v1/openapi.json')).json();
    const operations = Object.values(doc.paths).flatMap((item) => Object.keys(item)).length;
    assert.ok(operations >= 25, `${operations} operations in the document`);
    await page.waitForFunction((n) => document.querySelectorAll('.opblock').length === n, operations, { timeout: 10000 });
    const title = (await page.locator('.title').first().textContent()).trim();
    assert.match(title, /^GeoLedger/);
    // An operation opens with its parameters and answers.
    await page.locator('#operations-cities-list_cities .opblock-summary').click();
    await page.waitForSelector('#operations-cities-list_cities .parameters', { timeout: 5000 });
    assert.ok(await page.locator('#operations-cities-list_cities tr[data-param-name="bbox"]').count() === 1);
    await screenshot(page, 'api-docs');
    assert.deepEqual(browser.problems, [], 'no console errors (a script the policy refused would be one)');
  } finally {
    await browser.close();
  }
});

test('/schemas lists every event type with its version and fields, each linking to its Avro file', async () => {
  const browser = await openBrowser();
  try {
    const page = await browser.newPage();
    await signIn(page, { next: '/schemas' });
    await page.waitForURL(BASE_URL + '/schemas');
    await waitForHydration(page);
    const cards = page.getByTestId('schema');
    await cards.first().waitFor();
    const types = (await page.locator('[data-testid="schema"] h2 code').allTextContents()).map((t) => t.trim());
    assert.deepEqual(types, [
      'city.created.v1', 'city.deleted.v1', 'city.restored.v1', 'city.updated.v1',
      'pincode.deleted.v1', 'pincode.upserted.v1',
    ]);
    const created = cards.filter({ hasText: 'city.created.v1' });
    assert.match(await created.textContent(), /version 1/);
    const district = created.locator('tr', { hasText: 'district' });
    assert.match(await district.textContent(), /null \| string/);
    assert.match(await district.textContent(), /no \(default null\)/);
    // The file each event's dataschema names: anyone may fetch it, and caches may keep it.
    const href = await created.locator('a[href$=".avsc"]').getAttribute('href');
    assert.equal(href, '/schemas/city.created.v1.avsc');
    const file = await fetch(BASE_URL + href);
    assert.equal(file.status, 200);
    assert.match(file.headers.get('cache-control'), /public/);
    assert.equal((await file.json()).name, 'CityCreated');
    await screenshot(page, 'schemas');
    assert.deepEqual(browser.problems, [], 'no console errors');
  } finally {
    await browser.close();
  }
});
