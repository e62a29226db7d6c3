// verify.html in headless Chromium (Debian's chromium, through
// playwright-core): the page loads a bundle file, verifies it offline and
// shows the verdict and every check, each as the Rust verifier has it in
// the corpus.
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

test('every bundle of the corpus: the page shows each check with the Rust outcome, and the Rust verdict', async () => {
  assert.ok(manifest.length > 60);
  for (const m of manifest) {
    assert.equal(await verdictOf(m.file), m.verdict, m.name);
    const shown = await page.$$eval('#checks li', (lis) => lis.map((li) => ({ ok: li.className === 'ok', text: li.textContent })));
    assert.equal(shown.length, m.checks.length, m.name);
    m.checks.forEach((c, i) => {
      assert.equal(shown[i].ok, c.ok, `${m.name}: ${c.what}`);
      assert.ok(shown[i].text.startsWith(`${c.ok ? '\u2713' : '\u2717'} ${c.what}: `), `${m.name}: ${shown[i].text}`);
    });
  }
});

test('the page fetches nothing but itself', () => {
  assert.ok(requests.length > 0);
  for (const u of requests) assert.ok(u.startsWith('file://'), u);
});
