import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, openBrowser, openPage, unique, screenshot, waitForHydration } from '../lib/browser.mjs';

test('the Kafka pages show the cluster, a topic with its messages as text, and the materializer group with its lag', async () => {
  const browser = await openBrowser();
  try {
    const page = await openPage(browser, '/kafka');
    // A city whose name is markup, sent as the city form sends it: its event is the newest message.
    const name = `<b>Kafkapur</b> ${unique()}`;
    const res = await page.request.post(`${BASE_URL}/api/run_city_command`, {
      headers: { origin: BASE_URL },
      data: { command: 'Create', fields: { city_name: name, state: 'Goa', latitude: '15.4', longitude: '73.9' } },
    });
    assert.equal(res.status(), 200, await res.text());

    // The overview: the cluster, one broker (the controller), GeoLedger's three topics, the groups.
    const cluster = page.getByTestId('cluster');
    await cluster.waitFor();
    assert.match(await cluster.textContent(), /Cluster id\s*\S+/);
    assert.equal(await page.getByTestId('brokers').locator('tbody tr').count(), 1);
    assert.match(await page.getByTestId('brokers').locator('tbody tr').textContent(), /controller/);
    const topics = page.getByTestId('topics').locator('tbody tr');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="topics"] tbody tr').length === 3);
    const names = await page.getByTestId('topics').locator('td.name').allTextContents();
    assert.deepEqual(names.map((n) => n.replace(/^.*?\.(?=[a-z-]+(\.DLT)?$)/, '')).sort(), ['city-updates', 'location-updates.DLT', 'pincode-updates']);
    const city = topics.filter({ has: page.locator('td.name', { hasText: 'city-updates' }) });
    assert.ok(Number((await city.getByTestId('messages').textContent()).replace(/,/g, '')) > 0, 'the city topic has messages');
    assert.match(await city.textContent(), /geoledger-materializer \(lag \d+\)/);
    await screenshot(page, 'kafka');
    // This server's topics and group share a prefix (tests have their own).
    const prefix = (await city.locator('td.name').textContent()).trim().replace(/city-updates$/, '');
    const materializer = `${prefix}geoledger-materializer`;
    // Kafka's own topics behind the toggle.
    await page.getByLabel(/Show every topic/).check();
    await page.getByTestId('topics').locator('td.name', { hasText: '__consumer_offsets' }).waitFor();
    await page.getByLabel(/Show every topic/).uncheck();

    // The city topic: its partitions, and its newest message, the markup shown as text.
    await city.getByRole('link').click();
    await page.waitForURL((u) => u.pathname.startsWith('/kafka/topics/'));
    await page.getByTestId('partitions').waitFor();
    const newest = page.getByTestId('messages').locator('li.message', { hasText: 'Kafkapur' }).first();
    await newest.waitFor({ timeout: 15000 });
    assert.ok((await newest.locator('pre.value').textContent()).includes(`"name": "${name}"`));
    assert.equal(await page.locator('li.message b').count(), 0, 'no element was made from the name');
    assert.match(await newest.getByRole('link').getAttribute('href'), /^\/cities\/goa\/b-kafkapur-b-/);
    await newest.locator('summary').click();
    assert.match(await newest.locator('.headers').textContent(), /ce_type\s*city\.created\.v1/);
    await screenshot(page, 'kafka-topic');
    // Loaded afresh, the page hydrates what the server rendered (the partition choices too).
    await page.reload();
    await waitForHydration(page);
    await page.getByLabel('Partition').locator('option').nth(1).waitFor({ state: 'attached' });
    // Its partition alone, from its first offset; then the newest again.
    const partition = await newest.getAttribute('data-partition');
    await page.getByLabel('Partition').selectOption(partition);
    await page.getByLabel('From offset').fill('0');
    await page.getByRole('button', { name: 'Go to offset' }).click();
    // (The newest look may hold that very message: wait for the page to show that partition only.)
    await page.waitForFunction((p) => {
      const shown = [...document.querySelectorAll('li.message')];
      return shown.some((m) => m.dataset.partition === p && m.dataset.offset === '0')
        && shown.every((m) => m.dataset.partition === p);
    }, partition, { timeout: 10000 });
    await page.getByRole('button', { name: 'Newest' }).click();

    // The materializer's group: stable, one member, no partition left behind for long.
    await page.goto(`${BASE_URL}/kafka/groups`);
    await page.getByTestId('groups').getByRole('link', { name: materializer, exact: true }).click();
    await page.getByTestId('group-id').waitFor();
    assert.equal(await page.locator('.page-head .pill').getAttribute('data-state'), 'Stable');
    assert.equal(await page.getByTestId('members').locator('tbody tr').count(), 1);
    assert.ok((await page.getByTestId('lag').locator('tbody tr').count()) >= 3, 'the partitions of both event topics');
    await page.getByLabel('Only partitions with lag').check();
    // Its lag history: sampled every few seconds, the chart redrawn as samples come.
    const chart = page.getByTestId('lag-chart');
    await chart.waitFor();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="samples"]')?.textContent) >= 2, null, { timeout: 30000 });
    assert.equal(await page.locator('[data-testid="lag-chart"] polyline').count(), 1);
    assert.match(await chart.getAttribute('aria-label'), /lag over the last 15 min$/);
    assert.match(await page.getByTestId('rate').textContent(), /^\d+\.\d events\/s$/);
    await page.getByRole('button', { name: '1 h' }).click();
    await page.waitForFunction(() => /last 1 h$/.test(document.querySelector('[data-testid="lag-chart"]').getAttribute('aria-label')));
    assert.equal(await page.getByRole('button', { name: '1 h' }).getAttribute('aria-pressed'), 'true');
    assert.equal(await page.getByRole('button', { name: '15 min' }).getAttribute('aria-pressed'), 'false');
    // The next samples redraw the page: the chosen window stays.
    const drawn = Number(await page.getByTestId('samples').textContent());
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid="samples"]').textContent) > n, drawn, { timeout: 30000 });
    assert.equal(await page.getByRole('button', { name: '1 h' }).getAttribute('aria-pressed'), 'true');
    assert.match(await chart.getAttribute('aria-label'), /last 1 h$/);
    await screenshot(page, 'kafka-group');
    assert.deepEqual(browser.problems, []);
  } finally {
    await browser.close();
  }
});
