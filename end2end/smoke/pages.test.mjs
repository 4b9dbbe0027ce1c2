// Every page of a build loads and comes alive: signed in, each page hydrates
// (its code arrived and took over) with no console error. scripts/test runs
// it against the plain build (`cargo leptos build`, as `cargo leptos watch`
// and scripts/dev build), which the rest of the browser tests do not use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, openBrowser, signIn, waitForHydration } from '../lib/browser.mjs';

// Every route of app/src/shell.rs. The pages of one city, topic or group load
// their own code whether or not it exists (they say so, with a 200), so names
// no server has serve: the test needs no data.
const PAGES = [
  '/', '/overview', '/cities', '/cities/kerala/kochi', '/pincodes', '/import', '/kafka',
  '/kafka/topics/no-such-topic', '/kafka/groups', '/kafka/groups/no-such-group', '/kafka/dead-letters', '/schemas',
];

test('every page of this build loads and hydrates without a console error', async () => {
  const browser = await openBrowser();
  try {
    const page = await browser.newPage();
    await signIn(page, { next: '/' });
    await page.waitForURL(BASE_URL + '/');
    for (const path of PAGES) {
      const response = await page.goto(BASE_URL + path);
      assert.equal(response.status(), 200, path);
      await waitForHydration(page);
    }
    assert.deepEqual(browser.problems, [], 'no console errors');
  } finally {
    await browser.close();
  }
});
