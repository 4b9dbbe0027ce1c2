import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, openBrowser, openPage, unique, waitForHydration, screenshot } from '../lib/browser.mjs';

/** Waits until the map has shown the markers of its view (no fetch under way). */
const settled = (page) => page.locator('[data-testid="map"][data-loading="false"]').waitFor();

async function openMap(browser) {
  const page = await openPage(browser, '/map');
  await page.locator('.leaflet-container').waitFor();
  return page;
}

test('a click on the map creates a city there; its marker has a popup with Edit; a dragged marker moves the city', async () => {
  const browser = await openBrowser();
  const watcher = await openBrowser();
  try {
    const page = await openMap(browser);
    const other = await openMap(watcher);
    const name = `Mapnagar ${unique()}`;
    const map = page.getByTestId('map');
    const box = await map.boundingBox();

    // A click somewhere in central India offers a new city with the place filled in.
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await page.getByTestId('click-panel').waitFor();
    await page.getByRole('button', { name: 'New city here' }).click();
    const lat = Number(await page.getByLabel('Latitude').inputValue());
    const lng = Number(await page.getByLabel('Longitude').inputValue());
    assert.ok(lat > 6 && lat < 37.6 && lng > 68 && lng < 97.5, `${lat},${lng} is in India`);
    await page.getByLabel('Name', { exact: true }).fill(name);
    await page.getByLabel('State or union territory').fill('Madhya Pradesh');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('.toast[data-state="applied"]', { hasText: `Create ${name}` }).waitFor({ timeout: 15000 });

    // Its marker appears here and, without a reload, in the other browser.
    const marker = page.locator(`.leaflet-marker-icon[title="${name}"]`);
    await marker.waitFor({ timeout: 15000 });
    const seen = other.locator(`.leaflet-marker-icon[title="${name}"]`);
    await seen.waitFor({ timeout: 15000 });
    const seenAt = await seen.boundingBox();
    await screenshot(page, 'map');

    // The popup shows the city, with Edit.
    await marker.click();
    const popup = page.locator('.leaflet-popup .popup');
    await popup.waitFor();
    assert.match(await popup.textContent(), new RegExp(`${name}, Madhya Pradesh`));
    await popup.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Population').fill('777');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('.toast[data-state="applied"]', { hasText: `Update ${name}` }).waitFor({ timeout: 15000 });

    // Drag the marker 80 px east; confirm the move.
    await page.waitForTimeout(300);
    await settled(page);
    page.once('dialog', (d) => d.accept());
    const at = await marker.boundingBox();
    const from = { x: at.x + at.width / 2, y: at.y + at.height - 4 };
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(from.x + 40, from.y, { steps: 5 });
    await page.mouse.move(from.x + 80, from.y, { steps: 5 });
    await page.mouse.up();
    await page.locator('.toast[data-state="applied"]', { hasText: `Move ${name}` }).waitFor({ timeout: 15000 });
    const res = await page.request.get(`${BASE_URL}/api/v1/cities/${encodeURIComponent(name)}/Madhya%20Pradesh`);
    const city = await res.json();
    assert.ok(city.longitude > lng + 0.1, `moved east: ${city.longitude} > ${lng}`);
    assert.equal(city.population, 777);
    // The other map sees it move east…
    const seenX = async () => (await seen.boundingBox())?.x ?? NaN;
    const until = async (ok, what) => {
      for (let i = 0; i < 150 && !ok(await seenX()); i++) await other.waitForTimeout(100);
      assert.ok(ok(await seenX()), `${what}: ${await seenX()} (it started at ${seenAt.x})`);
    };
    await until((x) => x > seenAt.x + 40, 'moved east on the other map');
    // …and back, live, once the move is reverted from the city's page.
    const cityPage = await browser.context.newPage();
    await cityPage.goto(`${BASE_URL}/cities/${city.id}`);
    await waitForHydration(cityPage);
    const moved = cityPage.getByTestId('history').locator('li').first();
    assert.match(await moved.getByTestId('diff').textContent(), /longitude/);
    await moved.getByRole('button', { name: 'Revert…' }).click();
    await moved.getByTestId('revert-confirm').getByRole('button', { name: 'Revert', exact: true }).click();
    await until((x) => Math.abs(x - seenAt.x) < 3, 'back where it was on the other map');
    const back = await (await page.request.get(`${BASE_URL}/api/v1/cities/${encodeURIComponent(name)}/Madhya%20Pradesh`)).json();
    assert.equal(back.longitude, lng);
    await cityPage.close();

    // The view is in the address: zoomed in and reloaded, the map opens where it was.
    await page.getByRole('button', { name: 'Zoom in' }).click();
    await page.waitForURL((u) => /^#map=6\/[0-9.]+\/[0-9.]+$/.test(u.hash));
    const view = new URL(page.url()).hash;
    await page.reload();
    await waitForHydration(page);
    await page.locator(`.leaflet-marker-icon[title="${name}"]`).waitFor({ timeout: 15000 });
    assert.equal(new URL(page.url()).hash, view);

    assert.deepEqual(browser.problems, []);
    assert.deepEqual(watcher.problems, []);
  } finally {
    await browser.close();
    await watcher.close();
  }
});

test('the search box finds a city by its old name, picked with the keyboard; the map flies there and says what is here', async () => {
  const browser = await openBrowser();
  try {
    const page = await openMap(browser);
    const tag = unique();
    const [name, old] = [`Flynagar ${tag}`, `Oldfly ${tag}`];
    const res = await page.request.post(`${BASE_URL}/api/run_city_command`, {
      headers: { origin: BASE_URL },
      data: { command: 'Create', fields: { city_name: name, state: 'Tamil Nadu', latitude: '11.1', longitude: '78.6', alternate_names: old } },
    });
    assert.equal(res.status(), 200, await res.text());
    const box = page.getByRole('combobox', { name: 'Find a place' });
    const option = page.getByRole('option', { name: `city ${name} (${old}), Tamil Nadu` });
    // Typed until the city is applied and found by its alternate name.
    for (let i = 0; i < 50 && !(await option.isVisible()); i++) {
      await box.fill('');
      await box.pressSequentially(old.toLowerCase(), { delay: 10 });
      await page.waitForTimeout(200);
    }
    await option.waitFor();
    await box.press('ArrowDown');
    assert.equal(await page.getByRole('option', { selected: true }).textContent(), `city ${name} (${old}), Tamil Nadu`);
    await box.press('Enter');
    await page.waitForURL((u) => /^#map=12\/11\.1\d*\/78\.6\d*$/.test(u.hash), { timeout: 15000 });
    await page.locator(`.leaflet-marker-icon[title="${name}"]`).waitFor({ timeout: 15000 });

    // A right-click at the centre: the nearest city is the one flown to.
    await settled(page);
    const map = await page.getByTestId('map').boundingBox();
    await page.mouse.click(map.x + map.width / 2, map.y + map.height / 2, { button: 'right' });
    const city = page.getByTestId('here-city');
    await city.waitFor();
    assert.match(await city.textContent(), new RegExp(`^${name}, Tamil Nadu · \\d+ m$`));
    await screenshot(page, 'map-search');
    assert.deepEqual(browser.problems, []);
  } finally {
    await browser.close();
  }
});
