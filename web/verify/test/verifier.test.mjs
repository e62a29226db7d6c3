// The JavaScript verifier against the Rust one: on the corpus the Rust
// tamper test wrote (HOTLINE_DISCLOSURE_CORPUS: a valid bundle and tampered
// ones with the Rust verdicts), both verifiers give the same verdict, and
// every tampered bundle is caught.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyBundle } from '../src/verifier.js';

const dir = process.env.HOTLINE_DISCLOSURE_CORPUS;
if (!dir) throw new Error('set HOTLINE_DISCLOSURE_CORPUS to the corpus the Rust test wrote (see .ci/run)');
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));

test('the corpus holds a valid bundle and tampered ones', () => {
  assert.equal(manifest[0].name, 'valid');
  assert.equal(manifest[0].verdict, 'valid');
  assert.ok(manifest.length > 20, `${manifest.length} bundles`);
});

for (const item of manifest) {
  test(`${item.name}: the same verdict as the Rust verifier (${item.verdict})`, () => {
    const r = verifyBundle(new Uint8Array(readFileSync(join(dir, item.file))));
    assert.equal(r.verdict, item.verdict, JSON.stringify(r.checks.filter((c) => !c.ok)));
    if (item.name !== 'valid') assert.notEqual(r.verdict, 'valid');
  });
}

test('garbage is invalid, never an exception', () => {
  for (const s of ['', '{', 'null', '[]', '{"type":"hotline.disclosure-bundle","v":1}', '\u0000\u00ff']) {
    assert.equal(verifyBundle(new TextEncoder().encode(s)).verdict, 'invalid', s);
  }
});
