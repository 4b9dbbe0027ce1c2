import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openBrowser, openPage, unique, screenshot } from '../lib/browser.mjs';

/** A CSV of `n` cities no other run has made. */
function citiesCsv(tag, n) {
  const rows = Array.from({ length: n }, (_, i) => `Droppur ${tag} ${i},Kerala,${(9 + i / 100).toFixed(4)},76.5,${1000 + i}`);
  return ['city_name,state,latitude,longitude,population', ...rows].join('\r\n') + '\r\n';
}

/** Drops a file on the page's drop zone, as a file dragged from the desktop is dropped. */
async function dropFile(page, name, text) {
  const transfer = await page.evaluateHandle(([name, text]) => {
    const dt = new DataTransfer();
    dt.items.add(new File([text], name, { type: 'text/csv' }));
    return dt;
  }, [name, text]);
  await page.dispatchEvent('label.dropzone', 'drop', { dataTransfer: transfer });
}

test('a file dropped on the Import page is read, published and applied with live bars; a file with bad rows has its report', async () => {
  const browser = await openBrowser();
  try {
    const page = await openPage(browser, '/import');
    const tag = unique();
    await dropFile(page, `drop-${tag}.csv`, citiesCsv(tag, 40));
    // The format is read from the header before anything is sent.
    const chosen = page.getByTestId('chosen');
    await chosen.filter({ hasText: 'GeoLedger cities (read from its header)' }).waitFor();
    assert.match(await chosen.textContent(), new RegExp(`drop-${tag}\\.csv`));
    await page.getByRole('button', { name: 'Import', exact: true }).click();

    // Both bars reach the end, fed by the live stream.
    const job = page.locator('section.job');
    await job.locator('[data-testid="published-bar"][aria-valuenow="100"]').waitFor({ timeout: 30000 });
    await job.locator('[data-testid="applied-bar"][aria-valuenow="100"]').waitFor({ timeout: 60000 });
    await job.locator('.pill[data-status="done"]').waitFor({ timeout: 30000 });
    assert.match(await job.locator('[data-testid="applied-bar"] + .bar-detail').textContent(), /^40 of 40$/);
    await screenshot(page, 'import');

    // The cities are there.
    await page.getByRole('link', { name: 'Cities', exact: true }).click();
    await page.getByLabel('Name starts with').fill(`Droppur ${tag}`);
    await page.locator('td.name', { hasText: `Droppur ${tag} 1` }).first().waitFor();

    // A file with bad rows, chosen with the picker: the good rows go in, the report names the bad ones.
    await page.getByRole('link', { name: 'Bulk import', exact: true }).click();
    await page.getByRole('heading', { name: 'Bulk import' }).waitFor();
    const bad = [
      'city_name,state,latitude,longitude',
      `Goodpur ${tag},Goa,15.3,74.0`,
      `Badpur ${tag},Narnia,15.3,74.0`,
      `Farpur ${tag},Goa,55,74.0`,
      `Shortpur ${tag},Goa`,
    ].join('\n');
    await page.setInputFiles('#import-file', { name: `bad-${tag}.csv`, mimeType: 'text/csv', buffer: Buffer.from(bad) });
    await page.getByTestId('chosen').filter({ hasText: `bad-${tag}.csv` }).filter({ hasText: 'read from its header' }).waitFor();
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.locator(`section.job h2`, { hasText: `bad-${tag}.csv` }).waitFor();
    await page.locator('section.job .pill[data-status="done"]').waitFor({ timeout: 60000 });
    await page.locator('section.job').getByRole('button', { name: 'Report' }).click();
    const report = page.getByTestId('report');
    await report.waitFor();
    const rows = await report.locator('tbody tr').allTextContents();
    assert.equal(rows.length, 3, rows.join('\n'));
    assert.match(rows[0], /^3state.*invalid.*not a state or union territory/);
    assert.match(rows[1], /^4latitude.*invalid.*between 6 and 37\.6/);
    assert.match(rows[2], /^5.*invalid.*has 2 columns; the header has 4/);
    assert.match(await page.getByTestId('report-summary').textContent(), /4 rows read, 3 invalid.*published 1/);
    const download = page.getByRole('link', { name: 'Download CSV' });
    assert.match(await download.getAttribute('href'), /^\/api\/v1\/imports\/[0-9a-f-]+\/report\.csv$/);
    await screenshot(page, 'import-report');
    // Both jobs are in the list of recent imports.
    for (const name of [`drop-${tag}.csv`, `bad-${tag}.csv`]) {
      await page.getByTestId('jobs').locator('td.name', { hasText: name }).waitFor();
    }
    assert.deepEqual(browser.problems, []);
  } finally {
    await browser.close();
  }
});

test('the drop zone, the format and the dry run are reached and used from the keyboard', async () => {
  const browser = await openBrowser();
  try {
    const page = await openPage(browser, '/import');
    const tag = unique();
    await page.setInputFiles('#import-file', { name: `keys-${tag}.csv`, mimeType: 'text/csv', buffer: Buffer.from(citiesCsv(tag, 3)) });
    await page.getByTestId('chosen').filter({ hasText: 'read from its header' }).waitFor();
    await page.getByLabel('Format').focus();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Space');
    assert.ok(await page.getByLabel(/Dry run/).isChecked(), 'the dry-run switch is the next stop, and Space sets it');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByTestId('dry-run').filter({ hasText: '3 changes would be published; nothing was.' }).waitFor({ timeout: 30000 });
    assert.deepEqual(browser.problems, []);
  } finally {
    await browser.close();
  }
});

test('a finished import is reverted from its row, saying first how many changes it undoes', async () => {
  const browser = await openBrowser();
  try {
    const page = await openPage(browser, '/import');
    const tag = unique();
    await page.setInputFiles('#import-file', { name: `undo-${tag}.csv`, mimeType: 'text/csv', buffer: Buffer.from(citiesCsv(tag, 3)) });
    await page.getByTestId('chosen').filter({ hasText: 'read from its header' }).waitFor();
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.locator('section.job .pill[data-status="done"]').waitFor({ timeout: 60000 });

    const row = page.getByTestId('jobs').locator('tr', { has: page.locator('td.name', { hasText: `undo-${tag}.csv` }) });
    await row.getByRole('button', { name: 'Revert this import' }).click({ timeout: 30000 });
    const confirm = page.getByTestId('jobs').getByTestId('revert-import');
    assert.match(await confirm.textContent(), /It undoes its 3 changes: what it created is soft-deleted/);
    await page.getByTestId('jobs').evaluate((t) => { t.parentElement.scrollLeft = 0; });
    await screenshot(page, 'import-revert');
    await confirm.getByRole('button', { name: 'Revert this import', exact: true }).click();
    // The revert is a job of its own: its report opens, and it ends done.
    await page.getByRole('heading', { name: `Report: revert of undo-${tag}.csv` }).waitFor({ timeout: 15000 });
    await page.getByTestId('report-summary').filter({ hasText: /3 rows read.*published 3/ }).waitFor({ timeout: 30000 });
    const revertRow = page.getByTestId('jobs').locator('tr', { has: page.locator('td.name', { hasText: `revert of undo-${tag}.csv` }) });
    await revertRow.locator('.pill[data-status="done"]').waitFor({ timeout: 60000 });

    // Its cities are gone from the list (soft-deleted).
    await page.getByRole('link', { name: 'Cities', exact: true }).click();
    await page.getByLabel('Name starts with').fill(`Droppur ${tag}`);
    await page.getByText('No city matches.').waitFor({ timeout: 15000 });
    assert.deepEqual(browser.problems, []);
  } finally {
    await browser.close();
  }
});
