import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, openBrowser, openPage, unique, screenshot } from '../lib/browser.mjs';

test('the activity feed shows each change live, with its diff and entity, and filters by type', async () => {
  const browser = await openBrowser();
  try {
    const page = await openPage(browser, '/activity');
    const name = `Feedgaon ${unique()}`;
    const send = async (endpoint, command, fields) => {
      const res = await page.request.post(`${BASE_URL}/api/${endpoint}`, { headers: { origin: BASE_URL }, data: { command, fields } });
      assert.equal(res.status(), 200, await res.text());
    };
    await send('run_city_command', 'Create', { city_name: name, state: 'Assam', latitude: '26.14', longitude: '91.73' });
    // Arrives without a reload, newest first, naming its entity and what it set.
    const first = page.locator('[data-testid=activity] > li').first();
    await page.waitForFunction((name) => document.querySelector('[data-testid=activity] > li')?.textContent.includes(name), name, { timeout: 20000 });
    const cityId = `assam/${name.toLowerCase().replace(/ /g, '-')}`;
    assert.equal(await first.locator('a.entity').textContent(), `city ${cityId}`);
    assert.equal(await first.locator('a.entity').getAttribute('href'), `/cities/${cityId}`);
    assert.match(await first.getByTestId('diff').textContent(), /latitude—26\.14/);

    const code = String(780000 + Math.floor(Math.random() * 9999));
    await send('run_pincode_command', 'Upsert', { pincode: code, city_name: name, state: 'Assam', latitude: '26.15', longitude: '91.74' });
    await page.waitForFunction((code) => document.querySelector('[data-testid=activity] > li')?.textContent.includes(`pincode ${code}`), code, { timeout: 20000 });
    await screenshot(page, 'activity');

    // Only the cities' changes: the pincode's leaves the list.
    await page.getByLabel('Change').selectOption('city');
    await page.waitForFunction((code) => {
      const items = [...document.querySelectorAll('[data-testid=activity] > li')];
      return items.length > 0 && items.every((li) => !li.textContent.includes(`pincode ${code}`));
    }, code, { timeout: 20000 });
    assert.ok((await first.textContent()).includes(name));

    // A pincode's history, from its row on the Pincodes page: its own changes, with their diffs.
    await page.goto(`${BASE_URL}/pincodes?q=${code}`);
    await page.locator('tbody tr', { hasText: code }).getByRole('link', { name: 'History' }).click();
    await page.getByTestId('entity-filter').filter({ hasText: `The history of ${code} only` }).waitFor();
    const own = page.locator('[data-testid=activity] > li');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=activity] > li').length === 1);
    assert.equal(await own.first().locator('a.entity').textContent(), `pincode ${code}`);
    assert.match(await own.first().getByTestId('diff').textContent(), /longitude—91\.74/);
    assert.deepEqual(browser.problems, []);
  } finally {
    await browser.close();
  }
});
