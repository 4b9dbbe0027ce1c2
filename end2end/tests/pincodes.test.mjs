import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, openBrowser, openPage, fillForm, unique, screenshot, recordToastStates } from '../lib/browser.mjs';

test('pincodes: a bad pincode is refused field by field; a good one is added to the city chosen from the search box, then deleted', async () => {
  const browser = await openBrowser();
  try {
    const page = await openPage(browser, '/cities');
    // A city to hang the pincode on.
    const city = `Pinpur ${unique()}`;
    // Somewhere in Kerala no other run has used: the map view below holds only this city's pincode
    // (a little south of the city, where the city's marker does not cover it).
    const lat = (8.6 + Math.random() * 2.8).toFixed(5);
    const lng = (76.0 + Math.random() * 0.8).toFixed(5);
    await page.getByRole('button', { name: 'New city' }).click();
    await fillForm(page, { Name: city, 'State or union territory': 'Kerala', Latitude: lat, Longitude: lng });
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('.toast[data-state="applied"]', { hasText: `Create ${city}` }).waitFor({ timeout: 15000 });

    await page.getByRole('link', { name: 'Pincodes', exact: true }).click();
    await page.getByRole('heading', { name: 'Pincodes' }).waitFor();
    await page.getByRole('button', { name: 'New pincode' }).click();
    await fillForm(page, { Pincode: '012345', City: 'Nowhere', Latitude: '40', Longitude: lng });
    await page.getByRole('button', { name: 'Save' }).click();
    assert.match(await page.locator('#pincode-pincode-error').textContent(), /must not start with 0/);
    assert.match(await page.locator('#pincode-city-error').textContent(), /choose a city from the suggestions/);
    assert.match(await page.locator('#pincode-latitude-error').textContent(), /between 6 and 37\.6/);
    await screenshot(page, 'pincode-form-errors');

    // The city box suggests cities as the name is typed.
    const code = String(680000 + Math.floor(Math.random() * 9999)).padStart(6, '6');
    await page.getByLabel('Pincode', { exact: true }).fill(code);
    await page.getByLabel('City', { exact: true }).fill(city.slice(0, 6));
    await page.locator(`#city-suggestions option[value="${city}, Kerala"]`).waitFor({ state: 'attached', timeout: 10000 });
    await fillForm(page, { City: `${city}, Kerala`, 'Area or office': 'Main Road', Latitude: (Number(lat) - 0.01).toFixed(5) });
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('.toast[data-state="applied"]', { hasText: `Pincode ${code}` }).waitFor({ timeout: 15000 });

    await page.getByLabel('Pincode starts with').fill(code);
    const row = page.locator('tr', { has: page.locator('td.name', { hasText: code }) });
    await row.waitFor();
    assert.match(await row.textContent(), new RegExp(city));
    await screenshot(page, 'pincodes');

    // Edit: the form starts from the pincode's values; the row shows the new area.
    await row.getByRole('button', { name: 'Edit' }).click();
    assert.equal(await page.getByLabel('City', { exact: true }).inputValue(), `${city}, Kerala`);
    await page.getByLabel('Area or office').fill('Main Road East');
    await page.getByRole('button', { name: 'Save' }).click();
    await row.locator('td', { hasText: 'Main Road East' }).waitFor({ timeout: 15000 });
    await page.getByLabel('Area or office').waitFor({ state: 'detached' });

    // The city's page lists it.
    await row.getByRole('link', { name: city }).click();
    await page.getByTestId('pincodes').locator('td', { hasText: code }).waitFor();

    // On the map, close in, it is a small circle beside its city; zoomed out, only the city shows.
    await page.getByRole('link', { name: 'Show on map' }).click();
    await page.waitForURL((u) => u.pathname === '/' && u.hash === `#map=12/${lat}/${lng}`);
    const dot = page.locator('path.pincode-dot');
    await dot.waitFor({ timeout: 15000 });
    assert.equal(await dot.count(), 1);
    assert.match(await page.getByTestId('map-count').textContent(), /, 1 pincode$/);
    await dot.hover();
    assert.match(await page.locator('.leaflet-tooltip').textContent(), new RegExp(`${code} · Main Road East`));
    await screenshot(page, 'map-pincodes');
    await page.goto(`${BASE_URL}/#map=9/${lat}/${lng}`);
    await dot.waitFor({ state: 'detached', timeout: 15000 });
    assert.doesNotMatch(await page.getByTestId('map-count').textContent(), /pincode/);
    await page.locator(`.leaflet-marker-icon[title="${city}"]`).waitFor();

    // Delete it.
    await page.getByRole('link', { name: 'Pincodes', exact: true }).click();
    await page.getByLabel('Pincode starts with').fill(code);
    await page.locator('tr', { has: page.locator('td.name', { hasText: code }) }).getByRole('button', { name: 'Delete' }).click();
    await page.locator('td.name', { hasText: code }).waitFor({ state: 'detached', timeout: 15000 });
    assert.deepEqual(browser.problems, []);
  } finally {
    await browser.close();
  }
});

async function newPincode(page, { code, city, latitude, longitude }) {
  await page.getByRole('button', { name: 'New pincode' }).click();
  await fillForm(page, { Pincode: code, City: city, Latitude: latitude, Longitude: longitude });
}

const openPincodes = (browser) => openPage(browser, '/pincodes');

test('a pincode whose city never arrives shows pending, then failed with the reason', async () => {
  const browser = await openBrowser();
  try {
    const page = await openPincodes(browser);
    const code = String(690000 + Math.floor(Math.random() * 9999));
    await newPincode(page, { code, city: 'Ghostpur, Kerala', latitude: '10.5', longitude: '76.2' });
    const states = await recordToastStates(page, `Pincode ${code}`);
    await page.getByRole('button', { name: 'Save' }).click();
    const toast = page.locator('.toast', { hasText: `Pincode ${code}` });
    await toast.waitFor();
    await page.locator('.toast[data-state="failed"]', { hasText: `Pincode ${code}` }).waitFor({ timeout: 30000 });
    assert.match(await toast.textContent(), /failed: city 'kerala\/ghostpur' does not exist/);
    // The materializer waited for the city before giving up: the toast was pending all that time.
    assert.deepEqual(await states(), ['pending', 'failed']);
    // The console shows nothing for it: a refusal is an answer, not an error.
    assert.deepEqual(browser.problems, []);
  } finally {
    await browser.close();
  }
});

test('a pincode saved before its city stays pending until another admin adds the city, then turns applied', async () => {
  const author = await openBrowser();
  const other = await openBrowser();
  try {
    const page = await openPincodes(author);
    const city = `Latepur ${unique()}`;
    const code = String(670000 + Math.floor(Math.random() * 9999));
    // The other admin has the city's form ready.
    const cities = await openPage(other, '/cities');
    await cities.getByRole('button', { name: 'New city' }).click();
    await fillForm(cities, { Name: city, 'State or union territory': 'Kerala', Latitude: '11.25', Longitude: '75.78' });

    await newPincode(page, { code, city: `${city}, Kerala`, latitude: '11.26', longitude: '75.79' });
    const states = await recordToastStates(page, `Pincode ${code}`);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('.toast[data-state="pending"]', { hasText: `Pincode ${code}` }).waitFor();
    await screenshot(page, 'toast-pending');
    await cities.getByRole('button', { name: 'Save' }).click();
    await page.locator('.toast[data-state="applied"]', { hasText: `Pincode ${code}` }).waitFor({ timeout: 15000 });
    assert.deepEqual(await states(), ['pending', 'applied']);
    // Both pages learnt of it live: the author's list shows the new pincode.
    await page.getByLabel('Pincode starts with').fill(code);
    await page.locator('tr', { has: page.locator('td.name', { hasText: code }) }).getByRole('link', { name: city }).waitFor();
    assert.deepEqual(author.problems, []);
    assert.deepEqual(other.problems, []);
  } finally {
    await author.close();
    await other.close();
  }
});
