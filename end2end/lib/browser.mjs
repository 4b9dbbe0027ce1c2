// Opens the system Chromium with playwright-core (never a downloaded browser) and
// records what a person would notice: console errors and failed page scripts.
import { chromium } from 'playwright-core';
import { mkdtemp, rm, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const BASE_URL = process.env.GEOLEDGER_E2E_URL ?? 'http://127.0.0.1:3000';
export const ADMIN = {
  email: process.env.GEOLEDGER_E2E_EMAIL ?? 'admin@geoledger.test',
  password: process.env.GEOLEDGER_E2E_PASSWORD ?? 'change-me-please',
};
export const SCREENSHOTS = new URL('../screenshots/', import.meta.url).pathname;

const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** A fresh browser profile; call `close()` when done. */
export async function openBrowser({ viewport = { width: 1280, height: 800 } } = {}) {
  const profile = await mkdtemp(path.join(tmpdir(), 'geoledger-e2e-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: FLAGS,
    viewport,
  });
  const problems = [];
  const watch = (page) => {
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console error on ${page.url()}: ${msg.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`uncaught error on ${page.url()}: ${err.message}`));
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  return {
    context,
    problems,
    async newPage() {
      const page = context.pages()[0] ?? (await context.newPage());
      return page;
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Waits until the Leptos app has taken over the server-rendered page. */
export async function waitForHydration(page) {
  await page.waitForSelector('html[data-hydrated="true"]', { timeout: 15000 });
}

export async function screenshot(page, name) {
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** A short text no earlier run used, to tell this run's records apart. */
export const unique = () => Date.now().toString(36).slice(-5);

/** Fills form fields by their labels: `{ Name: 'Pune', Latitude: '18.52' }`. */
export async function fillForm(page, values) {
  for (const [label, value] of Object.entries(values)) {
    await page.getByLabel(label, { exact: true }).fill(value);
  }
}

/** Signs in and opens `path` (served at `base`), hydrated. */
export async function openPage(browser, path, { base = BASE_URL } = {}) {
  const page = await browser.newPage();
  await signIn(page, { next: path, base });
  await page.waitForURL(base + path);
  await waitForHydration(page);
  return page;
}

/** Signs in through the login form, as an admin would (the app goes on to `next`). */
export async function signIn(page, { email = ADMIN.email, password = ADMIN.password, next = '/', base = BASE_URL } = {}) {
  await page.goto(base + '/login?next=' + encodeURIComponent(next));
  await waitForHydration(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/**
 * Starts recording every state the toast whose text contains `label` passes
 * through (pending, applied, failed), as the admin would see them one after
 * another. Returns a function that reads the states seen so far.
 */
export async function recordToastStates(page, label) {
  await page.evaluate((label) => {
    const seen = (window.__toastStates ??= {});
    const states = (seen[label] = []);
    const look = () => {
      for (const t of document.querySelectorAll('.toast')) {
        if (!t.textContent.includes(label)) continue;
        const s = t.getAttribute('data-state');
        if (states[states.length - 1] !== s) states.push(s);
      }
    };
    new MutationObserver(look).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
  }, label);
  return () => page.evaluate((label) => window.__toastStates[label], label);
}
