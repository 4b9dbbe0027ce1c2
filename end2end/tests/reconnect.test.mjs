import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { BASE_URL, openBrowser, openPage, fillForm, unique } from '../lib/browser.mjs';

/**
 * A TCP relay in front of the app: the network between one browser and the
 * server, which the test can cut (every open connection reset; new ones reset
 * too, or answered 502 as a proxy does while the server behind it is away)
 * and mend again.
 */
async function relay(target) {
  const { hostname, port } = new URL(target);
  const open = new Set();
  let cut = null;
  let turnedAway = 0;
  const server = net.createServer((client) => {
    if (cut) turnedAway += 1;
    if (cut === 'reset') return client.destroy();
    if (cut === '502') {
      client.on('error', () => {});
      return client.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
    }
    const upstream = net.connect(Number(port), hostname);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('error', () => {});
      s.on('close', () => open.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    cut(how = 'reset') { cut = how; turnedAway = 0; for (const s of open) s.destroy(); },
    /** Waits until the browser has tried to come back and been turned away. */
    async turnedAway() {
      for (let i = 0; turnedAway === 0; i++) {
        assert.ok(i < 200, 'the browser never tried to reconnect');
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    mend() { cut = null; },
    close() { this.cut(); server.close(); },
  };
}


for (const [outage, how] of [['reset', 'the connection reset'], ['502', 'a proxy answering 502, after which the browser gives up on the stream']]) {
  test(`a page whose live stream was cut (${how}) catches up with what changed meanwhile once it reconnects`, async () => {
    const network = await relay(BASE_URL);
    const watcher = await openBrowser();
    const admin = await openBrowser();
    try {
      const watching = await openPage(watcher, '/cities', { base: network.url });
      const page = await openPage(admin, '/cities');
      network.cut(outage);

      const name = `Gonepur ${unique()}`;
      await page.getByRole('button', { name: 'New city' }).click();
      await fillForm(page, { Name: name, 'State or union territory': 'Assam', Latitude: '26.14', Longitude: '91.74' });
      await page.getByRole('button', { name: 'Save' }).click();
      await page.locator('.toast[data-state="applied"]', { hasText: `Create ${name}` }).waitFor({ timeout: 15000 });
      await page.locator('td.name', { hasText: name }).waitFor();
      assert.equal(await watching.locator('td.name', { hasText: name }).count(), 0, 'with the network cut, no notice reached the watcher');

      // The browser tried to reconnect and failed; then the network is back: the
      // stream reconnects and the page refetches its list.
      await network.turnedAway();
      network.mend();
      await watching.locator('td.name', { hasText: name }).waitFor({ timeout: 20000 });
      // Its own later notices arrive live again.
      const row = page.locator('tr', { has: page.locator('td.name', { hasText: name }) });
      await row.getByRole('button', { name: 'Delete' }).click();
      await watching.locator('td.name', { hasText: name }).waitFor({ state: 'detached', timeout: 15000 });
      assert.deepEqual(admin.problems, []);
    } finally {
      network.close();
      await watcher.close();
      await admin.close();
    }
  });
}
