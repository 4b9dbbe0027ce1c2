import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openBrowser, openPage, unique, screenshot } from '../lib/browser.mjs';

/** Calls a server function from the page, as its own forms do (same origin, the session). */
async function serverFn(page, name, body) {
  return page.evaluate(async ([name, body]) => {
    const res = await fetch(`/api/${name}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, text: await res.text() };
  }, [name, body]);
}

test('a pincode far from its city shows on the quality page live, links to the map drawing it, and is accepted', async () => {
  const browser = await openBrowser();
  try {
    const page = await openPage(browser, '/quality');
    await page.getByTestId('quality-rule-pincode_far_from_city').waitFor();
    const city = `Qtown ${unique()}`;
    const code = `56${String(Date.now()).slice(-4)}`;

    // A city in Bengaluru, and its pincode 330 km north: written as the forms write them.
    const made = await serverFn(page, 'run_city_command', {
      command: 'Create',
      fields: { city_name: city, state: 'Karnataka', latitude: '12.97', longitude: '77.59' },
    });
    assert.equal(made.status, 200, made.text);
    const pin = await serverFn(page, 'run_pincode_command', {
      command: 'Upsert',
      fields: { pincode: code, city_name: city, state: 'Karnataka', latitude: '15.95', longitude: '77.59' },
    });
    assert.equal(pin.status, 200, pin.text);

    // Without a reload, the finding arrives, said as an admin would say it.
    const finding = page.locator('[data-testid="finding"][data-rule="pincode_far_from_city"]', { hasText: `pincode ${code} is` });
    await finding.waitFor({ timeout: 20000 });
    assert.match(await finding.textContent(), new RegExp(`pincode ${code} is 33\\d km from ${city}, its city`));
    const count = page.getByTestId('nav-quality-count');
    await count.waitFor();
    assert.ok(Number((await count.textContent()).replace(/[^\d.]/g, '')) >= 1);
    await screenshot(page, 'quality');

    // Its map link opens the map there with the Quality layer on: a ring at the
    // pincode and a dashed line to its city.
    await finding.getByTestId('finding-map').click();
    // Both ends in view: the pincode and its city, 330 km apart.
    await page.waitForURL(/\/\?quality=1#map=\d+\//);
    await page.locator('.leaflet-container').waitFor();
    assert.equal(await page.getByTestId('map-quality-toggle').isChecked(), true);
    await page.locator('path.quality-dot').first().waitFor({ timeout: 15000 });
    // (A line straight north has no width: Playwright calls it hidden. It is drawn: two points.)
    const line = page.locator('path.quality-line').first();
    await line.waitFor({ state: 'attached', timeout: 15000 });
    assert.match(await line.getAttribute('d'), /^M[\d.-]+ [\d.-]+L[\d.-]+ [\d.-]+$/);
    await screenshot(page, 'quality-map');
    // Off: nothing drawn.
    await page.getByTestId('map-quality-toggle').uncheck();
    await page.waitForFunction(() => document.querySelectorAll('path.quality-dot').length === 0);

    // Accepted with a reason: it leaves the open list, and the accepted list shows who and why.
    await page.goBack();
    await page.waitForURL(/\/quality/);
    const again = page.locator('[data-testid="finding"]', { hasText: `pincode ${code} is` });
    await again.getByRole('button', { name: 'Accept…' }).click();
    await again.getByRole('button', { name: 'Accept', exact: true }).click();
    await again.getByRole('alert').waitFor();
    assert.match(await again.getByRole('alert').textContent(), /required/);
    await again.getByLabel('Why is it right as it is?').fill('a far post office, real');
    await again.getByRole('button', { name: 'Accept', exact: true }).click();
    await page.locator('[data-testid="finding"]', { hasText: `pincode ${code} is` }).waitFor({ state: 'detached', timeout: 15000 });
    await page.getByLabel('Status').selectOption('accepted');
    const kept = page.locator('[data-testid="finding"]', { hasText: `pincode ${code} is` });
    await kept.waitFor({ timeout: 15000 });
    assert.match(await kept.textContent(), /Accepted by .*a far post office, real/);
  } finally {
    await browser.close();
  }
});
