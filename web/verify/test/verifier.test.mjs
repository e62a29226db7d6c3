// The JavaScript verifier against the Rust one: on the corpus the Rust
// tamper test wrote (HOTLINE_DISCLOSURE_CORPUS: valid bundles and tampered
// ones, each with the Rust verdict and every check's outcome), both
// verifiers make the same checks in the same order, with the same outcome
// each, and give the same verdict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyBundle } from '../src/verifier.js';

const dir = process.env.HOTLINE_DISCLOSURE_CORPUS;
if (!dir) throw new Error('set HOTLINE_DISCLOSURE_CORPUS to the corpus the Rust test wrote (see .ci/run)');
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));

test('the corpus holds valid bundles, tampered ones, and every case of issue 13', () => {
  assert.equal(manifest[0].name, 'valid');
  assert.equal(manifest[0].verdict, 'valid');
  assert.ok(manifest.length > 60, `${manifest.length} bundles`);
  const names = new Set(manifest.map((m) => m.name));
  for (const n of ['name-plus', 'name-nel', 'name-control', 'name-bom', 'signatures-101', 'stub-salt-null', 'relay-small-order-r',
    'witness-time-2^63', 'witness-cosigned', 'witness-cosignature-bad', 'body-as-redacted-attachment', 'as-of-later-entry',
    'replayed-consent-entry', 'replayed-case-message', 'json-bom', 'json-repeated-field']) assert.ok(names.has(n), n);
  for (const m of manifest) assert.ok(Array.isArray(m.checks) && m.checks.length > 0, m.name);
});

for (const item of manifest) {
  test(`${item.name}: every check as the Rust verifier makes it, and its verdict (${item.verdict})`, () => {
    const r = verifyBundle(new Uint8Array(readFileSync(join(dir, item.file))));
    const mine = r.checks.map((c) => ({ what: c.what, ok: c.ok }));
    assert.deepEqual(mine, item.checks, JSON.stringify(r.checks.filter((c) => !c.ok)));
    assert.equal(r.verdict, item.verdict);
  });
}

test('garbage is invalid, never an exception', () => {
  for (const s of ['', '{', 'null', '[]', '{"type":"hotline.disclosure-bundle","v":1}', '\u0000\u00ff', '\ufeff{}', '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]']) {
    assert.equal(verifyBundle(new TextEncoder().encode(s)).verdict, 'invalid', s);
  }
});
