import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, BASE_URL, openBrowser, openPage, unique, screenshot } from '../lib/browser.mjs';

/** Sends a form's fields as the page's forms do (a server function). */
async function command(page, endpoint, fields) {
  const command = endpoint === 'run_city_command' ? 'Create' : 'Upsert';
  const res = await page.request.post(`${BASE_URL}/api/${endpoint}`, {
    headers: { origin: BASE_URL },
    data: { command, fields },
  });
  assert.equal(res.status(), 200, await res.text());
}

test('dead letters: a pincode whose city was missing waits with its reason, is redriven once the city exists, another is discarded; handled ones show who and when', async () => {
  const browser = await openBrowser();
  try {
    const page = await openPage(browser, '/kafka/dead-letters');
    await page.getByTestId('dead-letter-summary').waitFor();
    const city = `Deadpur ${unique()}`;
    const codes = [0, 1].map(() => String(100000 + Math.floor(Math.random() * 800000)));
    for (const code of codes) {
      await command(page, 'run_pincode_command', {
        pincode: code, city_name: city, state: 'Goa', latitude: '15.40', longitude: '73.90', area_name: 'Ward 1',
      });
    }
    // Both arrive without a reload (the page hears the failures), each saying why.
    const letter = (code) => page.locator('li.letter', { has: page.locator('a.entity', { hasText: `pincode ${code}` }) });
    for (const code of codes) await letter(code).waitFor({ timeout: 30000 });
    const cityId = `goa/${city.toLowerCase().replace(/ /g, '-')}`;
    assert.match(await letter(codes[0]).getByTestId('letter-error').textContent(), new RegExp(`city '${cityId}' does not exist`));
    assert.match(await letter(codes[0]).locator('.where').textContent(), /pincode-updates · partition \d+ · offset \d+/);
    await letter(codes[0]).locator('.letter-event > summary').click();
    assert.match(await letter(codes[0]).locator('pre.value').textContent(), new RegExp(`"subject": "${codes[0]}"`));
    await screenshot(page, 'kafka-dead-letters');

    // The city comes; the first letter is redriven and disappears from the waiting ones.
    await command(page, 'run_city_command', { city_name: city, state: 'Goa', latitude: '15.40', longitude: '73.90' });
    await page.waitForTimeout(1500);
    await letter(codes[0]).getByRole('button', { name: 'Redrive' }).click();
    const outcomes = page.getByTestId('outcomes');
    await outcomes.waitFor();
    assert.match(await outcomes.textContent(), /sent back to \S*pincode-updates, partition \d+, offset \d+/);
    await letter(codes[0]).waitFor({ state: 'detached' });

    // The second, chosen and discarded.
    await letter(codes[1]).getByRole('checkbox').check();
    await page.getByTestId('discard-chosen').click();
    await page.waitForFunction(() => /discarded/.test(document.querySelector('[data-testid="outcomes"]')?.textContent));
    await letter(codes[1]).waitFor({ state: 'detached' });

    // Shown on asking: who handled each, how and when.
    await page.getByTestId('show-handled').check();
    await letter(codes[0]).waitFor();
    assert.match(await letter(codes[0]).getByTestId('handled-note').textContent(),
      new RegExp(`Sent back to \\S*pincode-updates \\(partition \\d+, offset \\d+\\) by ${ADMIN.email}, \\d{4}-`));
    assert.match(await letter(codes[1]).getByTestId('handled-note').textContent(), new RegExp(`Discarded by ${ADMIN.email}`));
    assert.equal(await letter(codes[0]).getByRole('button', { name: 'Redrive' }).count(), 0, 'handled: no more actions');

    // The redriven pincode was applied to its city.
    await page.goto(`${BASE_URL}/pincodes?q=${codes[0]}`);
    await page.locator('tbody tr', { hasText: codes[0] }).filter({ hasText: city }).waitFor({ timeout: 30000 });
    // And its letter says so.
    await page.goto(`${BASE_URL}/kafka/dead-letters`);
    await page.getByTestId('show-handled').check();
    assert.match(await letter(codes[0]).getByTestId('handled-note').textContent(), / — applied$/);
    await screenshot(page, 'kafka-dead-letters-handled');
    assert.deepEqual(browser.problems, []);
  } finally {
    await browser.close();
  }
});
