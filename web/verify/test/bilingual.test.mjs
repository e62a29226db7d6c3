// Messages in several languages (crates/cli/tests/bilingual_cli.rs wrote
// the corpus: a bilingual inquiry disclosed with its Russian texts
// redacted, everything shown, and bundles that show a redacted text, hide
// a shown one, pass a text off as an attachment or drop one). The
// JavaScript verifier makes the Rust verifier's checks with the same
// outcomes and verdict, and finds the same texts with the same tags,
// authenticity and redactions; verify.html shows them with their tags.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { verifyBundle } from '../src/verifier.js';

const corpus = process.env.HOTLINE_DISCLOSURE_CORPUS;
if (!corpus) throw new Error('set HOTLINE_DISCLOSURE_CORPUS to the corpus the Rust tests wrote (see .ci/run)');
const dir = join(corpus, 'bilingual');
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
if (!existsSync(executablePath)) throw new Error(`no Chromium at ${executablePath}: apt-get install chromium`);

test('the corpus holds the valid bilingual bundles and the tampered ones', () => {
  const names = manifest.map((m) => m.name);
  for (const n of ['bilingual-ru-redacted', 'bilingual-open', 'bilingual-ru-shown', 'bilingual-en-hidden', 'bilingual-ru-stub-as-attachment', 'bilingual-ru-dropped']) {
    assert.ok(names.includes(n), n);
  }
  assert.equal(manifest[0].verdict, 'valid');
  assert.equal(manifest[0].texts[0].length, 2);
});

for (const item of manifest) {
  test(`${item.name}: the Rust verifier's checks, verdict (${item.verdict}) and texts`, () => {
    const r = verifyBundle(new Uint8Array(readFileSync(join(dir, item.file))));
    assert.deepEqual(r.checks.map((c) => ({ what: c.what, ok: c.ok })), item.checks, JSON.stringify(r.checks.filter((c) => !c.ok)));
    assert.equal(r.verdict, item.verdict);
    assert.deepEqual(r.messages.map((m) => m.texts), item.texts);
  });
}

let browser;
before(async () => {
  browser = await chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => { await browser?.close(); });

test('verify.html shows each text with its tag, and the redacted ones as redacted', async () => {
  const page = await browser.newPage();
  await page.goto('file://' + resolve('verify.html'));
  await page.setInputFiles('#file', join(dir, manifest[0].file));
  await page.waitForSelector('#verdict');
  assert.equal(await page.getAttribute('#verdict', 'data-verdict'), 'valid');
  const first = await page.$$eval('#messages > li:first-child .text', (ds) => ds.map((d) => ({
    lang: d.dataset.lang, label: d.querySelector('.text-label').textContent, body: d.querySelector('pre')?.textContent ?? null, preLang: d.querySelector('pre')?.lang ?? null,
  })));
  assert.deepEqual(first.map((t) => [t.lang, t.label]), [['en', '[en, authentic]'], ['ru', '[ru, authentic] redacted']]);
  assert.equal(first[0].body, manifest[0].texts[0][0].body);
  assert.equal(first[0].preLang, 'en');
  assert.equal(first[1].body, null);
  const all = await page.textContent('#messages');
  assert.ok(all.includes('[en, translation]'), all);
  assert.ok(!/[\u0400-\u04ff]{4}/.test(all.replace(/Вторжения/g, '')), `a redacted Russian text is on the page: ${all}`);
  await page.close();
});
