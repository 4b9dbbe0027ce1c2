import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, ADMIN, openBrowser, waitForHydration, screenshot, signIn } from '../lib/browser.mjs';

test('the overview loads, hydrates and shows both backends ready, without console errors', async () => {
  const browser = await openBrowser();
  try {
    const page = await browser.newPage();
    await signIn(page, { next: '/overview' });
    await page.waitForURL(BASE_URL + '/overview');
    const response = await page.goto(BASE_URL + '/overview');
    assert.equal(response.status(), 200);

    // Server-rendered with its title and both backends ready, before any script ran.
    const html = await response.text();
    assert.match(html, /<title>Overview · GeoLedger<\/title>/);
    assert.match(html, /data-backend="kafka" data-status="ok"/);

    // The page's code arrives lazily; once it has taken over, the title is still the page's.
    await waitForHydration(page);
    assert.equal(await page.title(), 'Overview · GeoLedger');
    for (const name of ['kafka', 'mongodb', 'materializer']) {
      const card = page.locator(`[data-backend="${name}"]`);
      assert.equal(await card.getAttribute('data-status'), 'ok', `${name} is ready`);
      assert.equal((await card.locator('.pill').textContent()).trim(), 'Ready');
    }
    assert.equal(
      (await page.getByTestId('readiness-summary').textContent()).trim(),
      'All backends are ready.',
    );

    // Hydrated for real: the button runs a server function and the time moves on.
    const before = await page.getByTestId('checked-at').textContent();
    await page.getByRole('button', { name: 'Check again' }).click();
    await page.waitForFunction(
      (prev) => document.querySelector('[data-testid="checked-at"]')?.textContent !== prev,
      before,
      { timeout: 10000 },
    );

    assert.equal((await page.getByTestId('user').textContent()).trim(), ADMIN.email);

    // The landing page of the status pages: the pipeline, each card linking to its Kafka page.
    const pipeline = page.getByTestId('pipeline');
    await pipeline.waitFor();
    const materializer = pipeline.locator('[data-card="materializer"]');
    assert.equal(await materializer.locator('header [data-state]').getAttribute('data-state'), 'Stable');
    // This instance's consumer, as its watchdog sees it.
    const here = page.getByTestId('materializer-here');
    assert.equal(await here.getAttribute('data-state'), 'consuming');
    assert.match(await here.getAttribute('title'), /^reads \d+ partitions?$/);
    assert.match(await page.getByTestId('materializer-lag').textContent(), /^\d[\d,]* events$/);
    assert.match(await materializer.getByRole('link', { name: 'Its lag history' }).getAttribute('href'),
      /^\/kafka\/groups\/\S*geoledger-materializer$/);
    const topicLinks = await pipeline.locator('[data-card="topics"] a').allTextContents();
    assert.deepEqual(topicLinks.sort(), ['city-updates', 'pincode-updates']);
    assert.match(await page.getByTestId('dead-letters-waiting').textContent(), /^(None|\d[\d,]*) waiting$/);
    assert.equal(await pipeline.getByRole('link', { name: 'The dead letters' }).getAttribute('href'), '/kafka/dead-letters');
    // Once the materializer has applied something, its rate arrives with the lag samples, over the live stream.
    const res = await page.request.post(`${BASE_URL}/api/run_city_command`, {
      headers: { origin: BASE_URL },
      data: { command: 'Create', fields: { city_name: `Overviewpur ${Date.now()}`, state: 'Goa', latitude: '15.5', longitude: '73.8' } },
    });
    assert.equal(res.status(), 200, await res.text());
    await page.waitForFunction(() => /events\/s$/.test(document.querySelector('[data-testid="materializer-rate"]')?.textContent));

    // The navigation is there, with the sections to come marked as such.
    assert.equal(await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Overview', exact: true }).getAttribute('aria-current'), 'page');

    await screenshot(page, 'overview');
    const narrow = await browser.context.newPage();
    await narrow.setViewportSize({ width: 390, height: 844 });
    await narrow.goto(BASE_URL + '/overview');
    await waitForHydration(narrow);
    await screenshot(narrow, 'overview-390');

    assert.deepEqual(browser.problems, [], 'no console errors');
  } finally {
    await browser.close();
  }
});

test('an unknown address shows a not-found page', async () => {
  const browser = await openBrowser();
  try {
    const page = await browser.newPage();
    await signIn(page);
    await page.waitForURL(BASE_URL + '/');
    // The map's code fully arrived first: leaving while its chunk is on its way aborts
    // the fetch, which Chromium logs as a wasm that failed to compile.
    await waitForHydration(page);
    const response = await page.goto(BASE_URL + '/no-such-page');
    assert.equal(response.status(), 404);
    await waitForHydration(page);
    assert.equal((await page.locator('h1').textContent()).trim(), 'Page not found');
    // A 404 document itself is logged by Chromium as a failed resource; nothing else may be.
    assert.deepEqual(browser.problems.filter((p) => !p.includes('404')), []);
  } finally {
    await browser.close();
  }
});
