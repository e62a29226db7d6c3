// The roster rules (docs/format.md §3.2) in the JavaScript verifier, against
// the Rust one: the bundles crates/cli/tests/roster_disclosure.rs wrote to
// HOTLINE_DISCLOSURE_CORPUS/rosters (a log re-signed with a roster whose
// member lacks a proof of possession, has a bad one, or lists another
// party's key or a party key; and the same log re-signed unchanged) get the
// Rust verdicts, and each invalid one fails for the roster's reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyBundle } from '../src/verifier.js';

const root = process.env.HOTLINE_DISCLOSURE_CORPUS;
if (!root) throw new Error('set HOTLINE_DISCLOSURE_CORPUS to the corpus the Rust tests wrote (see .ci/run)');
const dir = join(root, 'rosters');
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));

test('the roster corpus holds the re-signed valid log and the rule breakers', () => {
  assert.equal(manifest[0].verdict, 'valid');
  assert.ok(manifest.filter((m) => m.verdict === 'invalid').length >= 4, `${manifest.length} bundles`);
});

for (const item of manifest) {
  test(`${item.name}: the Rust verdict (${item.verdict})${item.failure ? `, failing with "${item.failure}"` : ''}`, () => {
    const r = verifyBundle(new Uint8Array(readFileSync(join(dir, item.file))));
    const failed = r.checks.filter((c) => !c.ok);
    assert.equal(r.verdict, item.verdict, JSON.stringify(failed));
    if (item.failure) {
      assert.ok(
        failed.some((c) => c.what.includes('signed by a member') && c.detail.includes(item.failure)),
        `no failed check says ${JSON.stringify(item.failure)}: ${JSON.stringify(failed)}`,
      );
    }
  });
}
