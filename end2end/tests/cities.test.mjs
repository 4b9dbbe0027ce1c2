import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { BASE_URL, openBrowser, openPage, fillForm as fill, unique, waitForHydration, screenshot, recordToastStates } from '../lib/browser.mjs';

const openCities = (browser) => openPage(browser, '/cities');

test('the form refuses bad fields before sending, then a created city goes pending → applied and shows up in another browser live', async () => {
  const admin = await openBrowser();
  const watcher = await openBrowser();
  try {
    const page = await openCities(admin);
    const other = await openCities(watcher);
    const name = `Testpur ${unique()}`;
    // Both lists narrowed to this city: whatever else the database holds, it is on the first page.
    for (const p of [page, other]) await p.getByLabel('Name starts with').fill(name);

    await page.getByRole('button', { name: 'New city' }).click();
    await fill(page, { Name: name, 'State or union territory': 'Maharastra', Latitude: '51.5', Longitude: 'east' });
    await page.getByRole('button', { name: 'Save' }).click();
    const errorOf = (id) => page.locator(`#city-${id}-error`);
    assert.match(await errorOf('state').textContent(), /did you mean 'Maharashtra'\?/);
    assert.match(await errorOf('latitude').textContent(), /between 6 and 37\.6/);
    assert.match(await errorOf('longitude').textContent(), /must be a number/);
    await screenshot(page, 'city-form-errors');

    // Written with its accents: the browser folds them as the server does (with its own Unicode tables).
    await fill(page, { 'State or union territory': 'Mahārāshtra', Latitude: '18.5204', Longitude: '73.8567', Population: '1200' });
    const states = await recordToastStates(page, `Create ${name}`);
    await page.getByRole('button', { name: 'Save' }).click();
    // The author sees the change pending until its notice arrives, then applied.
    // (A notice may beat its own 202 to the browser: then the toast starts applied.
    // The pincode tests show pending for certain, with an event that has to wait.)
    await page.locator('.toast[data-state="applied"]', { hasText: `Create ${name}` }).waitFor({ timeout: 15000 });
    assert.ok(['pending,applied', 'applied'].includes((await states()).join()), `toast states: ${await states()}`);
    await page.locator('td.name', { hasText: name }).waitFor();
    await screenshot(page, 'cities');

    // The other browser, which did nothing, sees the new city without a reload.
    await other.locator('td.name', { hasText: name }).waitFor({ timeout: 15000 });

    // Soft-delete, shown only with "Show deleted", then restore.
    const row = page.locator('tr', { has: page.locator('td.name', { hasText: name }) });
    await row.getByRole('button', { name: 'Delete' }).click();
    await page.locator('td.name', { hasText: name }).waitFor({ state: 'detached', timeout: 15000 });
    await page.getByLabel('Show deleted').check();
    const deletedRow = page.locator('tr.deleted', { has: page.locator('td.name', { hasText: name }) });
    await deletedRow.waitFor();
    await deletedRow.getByRole('button', { name: 'Restore' }).click();
    await page.locator('tr:not(.deleted)', { has: page.locator('td.name', { hasText: name }) }).waitFor({ timeout: 15000 });

    // Edit: the form starts from the city's values.
    await page.getByLabel('Show deleted').uncheck();
    await page.locator('tr', { has: page.locator('td.name', { hasText: name }) }).getByRole('button', { name: 'Edit' }).click();
    assert.equal(await page.getByLabel('Population').inputValue(), '1200');
    await fill(page, { Population: '1234567' });
    await page.getByRole('button', { name: 'Save' }).click();
    // Written as an Indian reader groups digits: lakhs, then thousands.
    await page.locator('tr', { has: page.locator('td.name', { hasText: name }) }).locator('td.num', { hasText: '12,34,567' }).waitFor({ timeout: 15000 });
    await other.locator('tr', { has: other.locator('td.name', { hasText: name }) }).locator('td.num', { hasText: '12,34,567' }).waitFor({ timeout: 15000 });

    // The city's own page: details and its history, newest first, with who and when.
    await page.getByRole('link', { name }).click();
    await page.waitForURL((u) => u.pathname.startsWith('/cities/maharashtra/'));
    assert.equal((await page.getByTestId('city-name').textContent()).trim(), name);
    const history = page.getByTestId('history').locator('li');
    await history.first().waitFor();
    const entries = await history.allTextContents();
    assert.equal(entries.length, 4, entries.join('\n'));
    assert.match(entries[0], /Updated/);
    assert.match(entries[3], new RegExp(`Created ${name}`));
    assert.match(entries[3], /admin@geoledger\.test · city\.created\.v1/);
    // Each entry says what it changed: the edit, the population only; the delete, `deleted`.
    const rows = (entry) => entry.locator('[data-testid="diff"], [data-testid="revert-diff"]').first().locator('tr').evaluateAll(
      (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent.trim())));
    assert.deepEqual(await rows(history.nth(0)), [['population', '1200', '1234567']]);
    assert.deepEqual(await rows(history.nth(2)), [['deleted', 'false', 'true']]);
    await screenshot(page, 'city');

    // Revert the edit: the confirmation shows what it will set back, then the population is 1,200 again.
    await history.nth(0).getByRole('button', { name: 'Revert…' }).click();
    const confirm = history.nth(0).getByTestId('revert-confirm');
    await confirm.waitFor();
    assert.deepEqual(await rows(confirm), [['population', '1234567', '1200']]);
    await screenshot(page, 'city-revert');
    await confirm.getByRole('button', { name: 'Revert', exact: true }).click();
    await page.locator('.details dd', { hasText: /^1,200$/ }).waitFor({ timeout: 15000 });
    assert.match(await history.nth(0).textContent(), /reverts /);
    assert.equal(await history.count(), 5);
    // And links to its message, where the topic's browser opens.
    const link = history.nth(0).getByRole('link', { name: /^message \d+:\d+$/ });
    const [, partition, offset] = (await link.textContent()).match(/(\d+):(\d+)/);
    await link.click();
    await page.waitForURL((u) => u.pathname.startsWith('/kafka/topics/') && u.search.includes(`offset=${offset}`));
    const first = page.locator('li.message').first();
    await first.waitFor({ timeout: 15000 });
    assert.deepEqual([await first.getAttribute('data-partition'), await first.getAttribute('data-offset')], [partition, offset]);

    assert.deepEqual(admin.problems, []);
    assert.deepEqual(watcher.problems, []);
  } finally {
    await admin.close();
    await watcher.close();
  }
});

test('a city named like markup is shown as text and runs nothing', async () => {
  const browser = await openBrowser();
  try {
    const page = await openCities(browser);
    let alerted = false;
    page.on('dialog', async (d) => { alerted = true; await d.dismiss(); });
    const name = `<img src=x onerror=alert(1)> ${unique()}`;
    await page.getByRole('button', { name: 'New city' }).click();
    await fill(page, { Name: name, 'State or union territory': 'Goa', Latitude: '15.49', Longitude: '73.82' });
    await page.getByRole('button', { name: 'Save' }).click();
    const cell = page.locator('td.name', { hasText: name });
    await cell.waitFor({ timeout: 15000 });
    assert.equal((await cell.textContent()).trim(), name);
    assert.equal(await page.locator('td.name img').count(), 0, 'no element was made from the name');
    await page.reload();
    await waitForHydration(page);
    await page.locator('td.name', { hasText: name }).waitFor();
    assert.equal(await page.locator('td.name img').count(), 0, 'nor in the server-rendered page');
    // On the map, its popup shows the name as text too.
    await page.getByRole('link', { name: 'Map', exact: true }).click();
    await page.waitForURL(BASE_URL + '/');
    const marker = page.locator(`.leaflet-marker-icon[title="${name}"]`);
    await marker.waitFor({ timeout: 15000 });
    await marker.click();
    const popup = page.locator('.leaflet-popup .popup');
    await popup.waitFor();
    assert.match(await popup.textContent(), new RegExp(name.replace(/[()<>=]/g, '.')));
    assert.equal(await popup.locator('img').count(), 0, 'nor in the popup');
    await page.getByRole('link', { name: 'Cities', exact: true }).click();
    await page.getByRole('link', { name }).click();
    await page.getByTestId('city-name').waitFor();
    assert.equal((await page.getByTestId('city-name').textContent()).trim(), name);
    assert.equal(await page.locator('main img').count(), 0, 'nor on the city page');
    assert.equal(alerted, false);
    // The name's image points nowhere only if it was made: a 404 for /x would show it.
    assert.deepEqual(browser.problems, []);
  } finally {
    await browser.close();
  }
});

test('a one-click change the server refuses shows as failed, with the reason', async () => {
  const admin = await openBrowser();
  const stale = await openBrowser();
  try {
    const page = await openCities(admin);
    const name = `Stalepur ${unique()}`;
    await page.getByRole('button', { name: 'New city' }).click();
    await fill(page, { Name: name, 'State or union territory': 'Goa', Latitude: '15.3', Longitude: '74.1' });
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('.toast[data-state="applied"]', { hasText: `Create ${name}` }).waitFor({ timeout: 15000 });

    // A second admin's page that hears nothing live (its stream blocked on the way),
    // so its list still offers Delete after the first admin has deleted the city.
    await stale.context.route('**/api/v1/stream', (route) => route.abort());
    const other = await openPage(stale, '/cities');
    await other.getByLabel('Name starts with').fill(name);
    const row = (p) => p.locator('tr', { has: p.locator('td.name', { hasText: name }) });
    await row(other).waitFor();
    await row(page).getByRole('button', { name: 'Delete' }).click();
    await page.locator('.toast[data-state="applied"]', { hasText: `Delete ${name}` }).waitFor({ timeout: 15000 });

    await row(other).getByRole('button', { name: 'Delete' }).click();
    const failed = other.locator('.toast[data-state="failed"]', { hasText: `Delete ${name}` });
    await failed.waitFor({ timeout: 15000 });
    assert.match(await failed.textContent(), new RegExp(`failed: ${name} in Goa is deleted already`));
    assert.deepEqual(admin.problems, []);
  } finally {
    await admin.close();
    await stale.close();
  }
});

test('the list pages through a long result, forward and back', async () => {
  const browser = await openBrowser();
  try {
    const page = await openCities(browser);
    // 26 cities, one more than a page holds, sent as the form sends them (the same server function).
    const tag = `Pagepur ${unique()}`;
    const names = Array.from({ length: 26 }, (_, i) => `${tag} ${String(i).padStart(2, '0')}`);
    for (const [i, name] of names.entries()) {
      const res = await page.request.post(`${BASE_URL}/api/run_city_command`, {
        headers: { origin: BASE_URL },
        data: { command: 'Create', fields: { city_name: name, state: 'Bihar', latitude: String(25 + i / 100), longitude: '85.1' } },
      });
      assert.equal(res.status(), 200, await res.text());
    }
    await page.getByLabel('Name starts with').fill(tag);
    // Waits until the table holds `n` rows, all of this test's cities (they are applied one by one).
    const rows = (n) =>
      page.waitForFunction(
        ([tag, n]) => {
          const cells = [...document.querySelectorAll('td.name')];
          return cells.length === n && cells.every((c) => c.textContent.startsWith(tag));
        },
        [tag, n],
        { timeout: 20000 },
      );
    const first = async () => (await page.locator('td.name').first().textContent()).trim();
    await rows(25);
    assert.equal(await first(), names[0]);
    assert.ok(await page.getByRole('button', { name: 'Previous' }).isDisabled());

    await page.getByRole('button', { name: 'Next' }).click();
    await rows(1);
    assert.equal(await first(), names[25]);
    assert.ok(await page.getByRole('button', { name: 'Next' }).isDisabled());

    await page.getByRole('button', { name: 'Previous' }).click();
    await rows(25);
    assert.equal(await first(), names[0]);
    assert.deepEqual(browser.problems, []);
  } finally {
    await browser.close();
  }
});

test('the export links download the filtered cities, stating their offsets', async () => {
  const browser = await openBrowser();
  try {
    const page = await openCities(browser);
    const name = `Exportgaon ${unique()}`;
    const res = await page.request.post(`${BASE_URL}/api/run_city_command`, {
      headers: { origin: BASE_URL },
      data: { command: 'Create', fields: { city_name: name, state: 'Sikkim', latitude: '27.33', longitude: '88.61' } },
    });
    assert.equal(res.status(), 200, await res.text());
    await page.getByLabel('Name starts with').fill(name);
    await page.locator('td.name', { hasText: name }).waitFor({ timeout: 20000 });
    await page.getByLabel('Name starts with').fill('');
    await page.getByLabel('State').selectOption('Sikkim');
    const csv = page.getByTestId('export-csv');
    await page.waitForFunction(() => document.querySelector('[data-testid=export-csv]').href.includes('state=Sikkim'));
    assert.equal(await csv.getAttribute('href'), '/api/v1/export/cities?format=csv&state=Sikkim');
    await screenshot(page, 'cities-export');

    const [download] = await Promise.all([page.waitForEvent('download'), csv.click()]);
    assert.match(download.suggestedFilename(), /^cities-\d{8}T\d{6}Z\.csv$/);
    const text = readFileSync(await download.path(), 'utf8');
    const [header, ...rows] = text.trim().split('\n');
    assert.ok(header.startsWith('city_name,state,district,latitude,longitude'), header);
    assert.ok(header.endsWith(',id,deleted_at,position'), header);
    assert.ok(rows.length >= 1 && rows.every((r) => r.includes(',Sikkim,')), text);
    assert.ok(rows.some((r) => r.startsWith(`${name},Sikkim,`)), text);
    // The same export as NDJSON opens with the offsets it holds.
    const ndjson = await page.request.get(`${BASE_URL}${await page.getByTestId('export-ndjson').getAttribute('href')}`);
    const offsets = ndjson.headers()['geoledger-offsets'];
    assert.match(offsets, /city-updates:0:\d+/);
    const first = JSON.parse((await ndjson.text()).split('\n')[0]);
    assert.equal(first.geoledger.offsets.map((o) => `${o.topic}:${o.partition}:${o.offset}`).join(','), offsets);
    assert.deepEqual(browser.problems, []);
  } finally {
    await browser.close();
  }
});
