import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, openBrowser, waitForHydration, screenshot, signIn } from '../lib/browser.mjs';

test('every page fits a 390 px wide phone without sideways scrolling', async () => {
  const browser = await openBrowser({ viewport: { width: 390, height: 844 } });
  try {
    const page = await browser.newPage();
    await signIn(page);
    await page.waitForURL(BASE_URL + '/');
    for (const path of ['/', '/overview', '/cities', '/pincodes', '/import', '/kafka', '/kafka/groups']) {
      await page.goto(BASE_URL + path);
      await waitForHydration(page);
      await page.locator('main h1').waitFor();
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.equal(width, 390, `${path} is ${width} px wide`);
      // Every control can be reached: the navigation links are visible.
      assert.ok(await page.getByRole('link', { name: 'Cities', exact: true }).isVisible());
    }
    await screenshot(page, 'pincodes-390');
    assert.deepEqual(browser.problems, []);
  } finally {
    await browser.close();
  }
});
