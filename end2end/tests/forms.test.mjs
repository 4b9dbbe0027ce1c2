import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, openBrowser, openPage, waitForHydration } from '../lib/browser.mjs';

/** Form controls on the page that a screen reader could not name. */
const unlabelled = (page) =>
  page.evaluate(() =>
    [...document.querySelectorAll('main input, main select, main textarea, main button')]
      .filter((el) => el.type !== 'hidden')
      .filter((el) => !(el.labels?.length || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || (el.tagName === 'BUTTON' && el.textContent.trim())))
      .map((el) => el.outerHTML.slice(0, 120)),
  );

/** Tabs through the page from the top until `name` has the focus; the controls passed on the way. */
async function tabTo(page, name, most = 60) {
  await page.locator('body').focus();
  const passed = [];
  for (let i = 0; i < most; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement;
      return (el?.labels?.[0]?.textContent || el?.getAttribute('aria-label') || el?.textContent || '').trim();
    });
    passed.push(focused);
    if (focused === name) return passed;
  }
  assert.fail(`Tab never reached "${name}"; it went through: ${passed.join(' | ')}`);
}

test('every form control is labelled, and each form can be filled and sent from the keyboard', async () => {
  const browser = await openBrowser();
  try {
    const page = await openPage(browser, '/cities');

    for (const [path, open, fields, firstError] of [
      ['/cities', 'New city', ['Name', 'State or union territory', 'Latitude', 'Longitude', 'Population'], '#city-city_name-error'],
      ['/pincodes', 'New pincode', ['Pincode', 'City', 'Latitude', 'Longitude'], '#pincode-pincode-error'],
    ]) {
      await page.goto(BASE_URL + path);
      await waitForHydration(page);
      assert.deepEqual(await unlabelled(page), [], `${path}: controls without a label`);
      await page.getByRole('button', { name: open }).click();
      await page.getByRole('button', { name: 'Save' }).waitFor();
      assert.deepEqual(await unlabelled(page), [], `${path}, ${open} form: controls without a label`);
      const passed = await tabTo(page, 'Save');
      for (const field of fields) {
        assert.ok(passed.includes(field), `${path}: Tab passes "${field}" on the way to Save: ${passed.join(' | ')}`);
      }
      // Enter in a field sends the form: the empty one's error comes back, tied to it.
      const first = page.getByLabel(fields[0], { exact: true });
      await first.focus();
      await page.keyboard.press('Enter');
      await page.locator(firstError).waitFor();
      assert.match(await page.locator(firstError).textContent(), /required|empty|must/i);
      assert.match(await first.getAttribute('aria-describedby') ?? '', new RegExp(firstError.slice(1)));
    }
    assert.deepEqual(browser.problems, []);
  } finally {
    await browser.close();
  }
});
