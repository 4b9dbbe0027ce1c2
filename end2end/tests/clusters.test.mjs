import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, openBrowser, openPage, unique, screenshot, waitForHydration } from '../lib/browser.mjs';

/** Imports one CSV through the Import page's file picker and waits until it is applied. */
async function importCsv(page, name, text, rows) {
  await page.goto(`${BASE_URL}/import`);
  // A file chosen before the page hydrates would go unseen.
  await waitForHydration(page);
  await page.setInputFiles('#import-file', { name, mimeType: 'text/csv', buffer: Buffer.from(text) });
  await page.getByTestId('chosen').filter({ hasText: name }).filter({ hasText: 'read from its header' }).waitFor();
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await page.locator('section.job h2', { hasText: name }).waitFor();
  const job = page.locator('section.job', { has: page.locator('h2', { hasText: name }) });
  await job.locator('[data-testid="applied-bar"] + .bar-detail', { hasText: `${rows} of ${rows}` }).waitFor({ timeout: 90000 });
}

test('a crowded view is drawn in clusters with their counts; a click on one zooms to where it splits', async () => {
  const browser = await openBrowser();
  try {
    const page = await openPage(browser, '/import');
    const tag = unique();
    const city = `Clusterpur ${tag}`;
    // Ladakh, where no other test looks: 600 pincodes on a grid around one city.
    await importCsv(page, `city-${tag}.csv`, `city_name,state,latitude,longitude\n${city},Ladakh,34.15,77.58\n`, 1);
    const rows = Array.from({ length: 600 }, (_, i) => {
      const lat = (34.0 + Math.floor(i / 25) * 0.012).toFixed(4);
      const lng = (77.4 + (i % 25) * 0.015).toFixed(4);
      return `${194000 + i},${city},Ladakh,Office ${i},${lat},${lng}`;
    });
    await importCsv(page, `pincodes-${tag}.csv`, ['pincode,city_name,state,area_name,latitude,longitude', ...rows].join('\n'), 600);

    await page.goto(`${BASE_URL}/#map=10/34.15/77.58`);
    const clusters = page.locator('.leaflet-marker-icon.cluster-pincodes');
    await clusters.first().waitFor({ timeout: 15000 });
    const count = page.getByTestId('map-count');
    assert.match(await count.textContent(), /, 600 pincodes in \d+ clusters$/);
    // Each cluster shows how many it holds; together they hold all 600.
    const counts = (await clusters.allTextContents()).map(Number);
    assert.equal(counts.reduce((a, b) => a + b, 0) + (await page.locator('path.pincode-dot').count()), 600);
    // The city itself, alone, is a marker.
    await page.locator(`.leaflet-marker-icon[title="${city}"]`).waitFor();
    await screenshot(page, 'map-clusters');

    // A click on the biggest cluster zooms in to where it splits.
    const biggest = counts.indexOf(Math.max(...counts));
    await clusters.nth(biggest).click();
    await page.waitForURL((u) => /^#map=(1[1-9])\//.test(u.hash), { timeout: 10000 });
    await page.locator('[data-testid="map"][data-loading="false"]').waitFor();
    await page.waitForFunction(
      (before) => document.querySelectorAll('.cluster-pincodes, path.pincode-dot').length !== before,
      counts.length,
      { timeout: 10000 },
    );
    assert.deepEqual(browser.problems, []);
  } finally {
    await browser.close();
  }
});
