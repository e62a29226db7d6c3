// verify.html in headless Chromium (Debian's chromium, through
// playwright-core): the page loads a bundle file, verifies it offline and
// shows the verdict; a valid bundle is VALID and tampered ones are not.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const dir = process.env.HOTLINE_DISCLOSURE_CORPUS;
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
if (!dir) throw new Error('set HOTLINE_DISCLOSURE_CORPUS (see .ci/run)');
if (!existsSync(executablePath)) throw new Error(`no Chromium at ${executablePath}: apt-get install chromium`);
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
const page_url = 'file://' + resolve('verify.html');

let browser, page;
const requests = [];
before(async () => {
  browser = await chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage();
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(page_url);
});
after(async () => { await browser?.close(); });

async function verdictOf(file) {
  await page.goto(page_url);
  await page.setInputFiles('#file', join(dir, file));
  await page.waitForSelector('#verdict');
  return page.getAttribute('#verdict', 'data-verdict');
}

test('a valid bundle shows VALID', async () => {
  assert.equal(await verdictOf(manifest[0].file), 'valid');
  const text = await page.textContent('#verdict');
  assert.match(text, /^VALID/);
  assert.ok((await page.$$('#checks li.ok')).length >= 10);
  assert.equal((await page.$$('#checks li.fail')).length, 0);
});

test('tampered bundles do not show VALID, and agree with the Rust verdicts', async () => {
  const picked = manifest.filter((m) => /^(drop-entry-0|swap-redacted-part|replayed-consent|no-consent)$/.test(m.name) || m.name.startsWith('flip-')).slice(0, 12);
  assert.ok(picked.length >= 8);
  for (const m of picked) {
    const v = await verdictOf(m.file);
    assert.notEqual(v, 'valid', m.name);
    assert.equal(v, m.verdict, m.name);
  }
});

test('the page fetches nothing but itself', () => {
  assert.ok(requests.length > 0);
  for (const u of requests) assert.ok(u.startsWith('file://'), u);
});
