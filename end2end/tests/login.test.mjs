import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, ADMIN, openBrowser, waitForHydration, screenshot, signIn } from '../lib/browser.mjs';

test('a page without a session sends the browser to the login page, and back after signing in', async () => {
  const browser = await openBrowser();
  try {
    const page = await browser.newPage();
    await page.goto(BASE_URL + '/');
    assert.equal(new URL(page.url()).pathname, '/login');
    assert.equal(new URL(page.url()).searchParams.get('next'), '/');
    await waitForHydration(page);
    assert.equal(await page.title(), 'Sign in · GeoLedger');
    await screenshot(page, 'login');

    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(BASE_URL + '/');
    assert.equal((await page.getByTestId('user').textContent()).trim(), ADMIN.email);
    // The map is the home page.
    await page.locator('.leaflet-container').waitFor();

    // The session cookie cannot be read by scripts and never leaves this site.
    const cookie = (await browser.context.cookies()).find((c) => c.name === 'geoledger_session');
    assert.ok(cookie, 'a session cookie is set');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');

    // Signing out ends the session: pages send to the login page again.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((u) => u.pathname === '/login');
    await page.goto(BASE_URL + '/');
    assert.equal(new URL(page.url()).pathname, '/login');
    assert.deepEqual(browser.problems, []);
  } finally {
    await browser.close();
  }
});

test('a wrong password is refused with a message', async () => {
  const browser = await openBrowser();
  try {
    const page = await browser.newPage();
    await signIn(page, { password: ADMIN.password + '-wrong' });
    const error = page.getByTestId('login-error');
    await error.waitFor({ timeout: 10000 });
    assert.equal((await error.textContent()).trim(), 'Wrong email or password.');
    assert.equal(new URL(page.url()).pathname, '/login');
    await page.goto(BASE_URL + '/');
    assert.equal(new URL(page.url()).pathname, '/login', 'still not signed in');
    // The refused sign-in answers 401, which Chromium logs; nothing else may be logged.
    assert.deepEqual(browser.problems.filter((p) => !p.includes('status of 401 (Unauthorized)')), []);
  } finally {
    await browser.close();
  }
});

test('the login form works from the keyboard alone', async () => {
  const browser = await openBrowser();
  try {
    const page = await browser.newPage();
    await page.goto(BASE_URL + '/login');
    await waitForHydration(page);
    // The email field has the focus; Tab goes to the password, Enter signs in.
    await page.keyboard.type(ADMIN.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(ADMIN.password);
    await page.keyboard.press('Enter');
    await page.waitForURL(BASE_URL + '/');
    assert.equal((await page.getByTestId('user').textContent()).trim(), ADMIN.email);
    assert.deepEqual(browser.problems, []);
  } finally {
    await browser.close();
  }
});
