#!/usr/bin/env node
// An independent opener of hotline-v2-xwing envelopes, written from
// docs/format.md alone (§1, §2, §4.1–4.2, §5, §8) after the model of
// tests/interop/open_envelopes.py, with npm packages and nothing of ours:
//
//  - @noble/curves: Ed25519 (strict verification, §2) and X25519;
//  - @noble/post-quantum: ML-KEM-768 and X-Wing (`ml_kem768_x25519`);
//  - @noble/hashes: SHA-256, SHA-512, SHA3-256, SHAKE256, HKDF-SHA256;
//  - @noble/ciphers: ChaCha20-Poly1305 (STREAM, §5.4, and the HPKE AEAD);
//  - @hpke/core + @hpke/hybridkem-x-wing + @hpke/chacha20poly1305: a second
//    HPKE (RFC 9180) with X-Wing, KEM id 0x647a.
//
// The content key of every stanza we open is obtained three ways, which must
// agree: (a) an RFC 9180 §5.1 base-mode key schedule written below on noble's
// X-Wing decapsulation, (b) the same key schedule on an X-Wing decapsulation
// written below from docs/format.md §5.5 on noble's ML-KEM-768 and X25519, and
// (c) @hpke/core's CipherSuite with @hpke/hybridkem-x-wing's XWing.
//
// Opens every vector of tests/vectors/envelopes-xwing.json (or the file given
// as the first argument) with every listed opener, classifies the outcome
// (ok, not-a-recipient, signature, body-mismatch, decrypt, commitment,
// malformed), compares it with the expected one, and checks the selective
// openings. Prints `open_envelopes (x-wing): N passed, M failed`; exit status
// 1 on any failure, or when fewer checks ran than the vector file holds.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { ml_kem768_x25519 } from '@noble/post-quantum/hybrid.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { sha3_256, shake256 } from '@noble/hashes/sha3.js';
import { extract as hkdfExtract, expand as hkdfExpand } from '@noble/hashes/hkdf.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { CipherSuite, HkdfSha256 } from '@hpke/core';
import { XWing } from '@hpke/hybridkem-x-wing';
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305';

// ---------------------------------------------------------------- constants

const te = new TextEncoder();
const HEAD_TYPE = 'application/vnd.hotline.envelope-head.v1'; // §5.1
const HPKE_INFO = 'hotline/v2-xwing content key'; // §5.5
const MAGIC = Uint8Array.of(0x48, 0x4c, 0x45, 0x01); // "HLE", 1
const SUITE_BYTE = 0x02; // hotline-v2-xwing
const KEM_ID = 0x647a, KDF_ID = 0x0001, AEAD_ID = 0x0003; // §5.5
const NENC = 1120, NPK = 1216, NSK = 32; // §5.5
const HEADER_LEN = 101, HEAD_LEN = 177, SIGNED_HEAD_LEN = 241; // §5.1
const INDEX_ENTRY_LEN = 64; // §5.1: recipient key id, SHA-256 of its sealed key
const SEALED_LEN = NENC + 48; // 1,168: enc, wrapped key
const STANZA_LEN = INDEX_ENTRY_LEN + SEALED_LEN; // 1,232 bytes of stanza block per recipient
const CHUNK = 65536, TAG = 16; // §5.4
const KINDS = { 1: 'header', 2: 'body', 3: 'attachment', 4: 'stix' };
const XWING_LABEL = te.encode('\\.//^\\'); // §5.5: the six bytes \.//^\
// What a full run of tests/vectors/envelopes-xwing.json checks, so that a
// loop silently skipping work fails the run (see `main`).
const EXPECTED = {
  results: 19, // 16 (vector, opener) pairs + 3 selective openings
  keys: 16, // every opener's public key and key id, with noble and @hpke
  hpke: 9, // stanzas opened three ways (a, b, c) with the same 32-byte key
  stream: 9, // STREAM decryptions reached: 3 ok of the good envelope, 1 of the
  // two-language one, 2 malformed two-language ones, 1 commitment, 2 decrypt
  // (the HPKE open succeeds in both decrypt vectors; STREAM is what refuses them)
};

// ---------------------------------------------------------------- helpers

class Reject extends Error {
  constructor(outcome, why) {
    super(why);
    this.outcome = outcome;
  }
}

const concat = (...xs) => {
  const out = new Uint8Array(xs.reduce((n, x) => n + x.length, 0));
  let off = 0;
  for (const x of xs) {
    out.set(x, off);
    off += x.length;
  }
  return out;
};
const eq = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const toHex = (b) => Buffer.from(b).toString('hex');
const fromHex = (s) => {
  // §1: lower-case hex only.
  if (typeof s !== 'string' || !/^(?:[0-9a-f]{2})*$/.test(s)) throw new Error(`not lower-case hex: ${String(s).slice(0, 16)}`);
  return new Uint8Array(Buffer.from(s, 'hex'));
};
const u16 = (n) => Uint8Array.of(n >>> 8, n & 0xff);
const u64 = (n) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n));
  return b;
};
const view = (b) => new DataView(b.buffer, b.byteOffset, b.byteLength);

const keyId = (alg, pub) => sha256(concat(te.encode('hotline/keyid/v1/'), te.encode(alg), Uint8Array.of(0), pub)); // §2

const pae = (type, body) => {
  // §3: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
  const t = te.encode(type);
  return concat(te.encode(`DSSEv1 ${t.length} `), t, te.encode(` ${body.length} `), body);
};

const leafHash = (tag, salt, content) => sha256(concat(Uint8Array.of(0x00, tag), salt, content)); // §4.2

const mth = (leaves) => {
  // §4.2, RFC 6962 §2.1 over already-hashed leaves
  if (leaves.length === 1) return leaves[0];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return sha256(concat(Uint8Array.of(0x01), mth(leaves.slice(0, k)), mth(leaves.slice(k))));
};

// ---------------------------------------------------------------- Ed25519, strict (§2)

const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const leToBig = (b) => b.reduceRight((acc, x) => (acc << 8n) | BigInt(x), 0n);

// As strict as ed25519-dalek's verify_strict and libsodium's
// crypto_sign_verify_detached (which tests/interop/open_envelopes.py uses
// through PyNaCl): canonical S (S < L), canonical encodings of A and R,
// neither A nor R of small order, and the cofactorless equation [S]B = R + [k]A.
// Noble's own verify (zip215: false: canonical encodings, S < L, A not of
// small order, cofactored equation) must accept too.
function verifyStrict(sig, msg, pub) {
  if (sig.length !== 64 || pub.length !== 32) return false;
  const rBytes = sig.subarray(0, 32);
  const s = leToBig(sig.subarray(32));
  if (s >= L) return false;
  let A, R;
  try {
    A = ed25519.Point.fromBytes(pub, false);
    R = ed25519.Point.fromBytes(rBytes, false);
  } catch {
    return false;
  }
  // fromBytes(…, false) refuses y ≥ p and x = 0 with the sign bit set; a
  // re-encoding that differs is a non-canonical encoding all the same.
  if (!eq(A.toBytes(), pub) || !eq(R.toBytes(), rBytes)) return false;
  if (A.isSmallOrder() || R.isSmallOrder()) return false;
  const k = leToBig(sha512(concat(rBytes, pub, msg))) % L;
  const lhs = s === 0n ? ed25519.Point.ZERO : ed25519.Point.BASE.multiply(s);
  const rhs = k === 0n ? R : R.add(A.multiply(k));
  if (!lhs.equals(rhs)) return false;
  return ed25519.verify(sig, msg, pub, { zip215: false });
}

// ---------------------------------------------------------------- X-Wing (§2, §5.5)

// The 1,216-byte public key of a 32-byte seed, from docs/format.md's formula:
// SHAKE256(sk, 96) = d || z || sk_X; ML-KEM-768.KeyGen_internal(d, z);
// pk_X = X25519(sk_X, 9).
function xwingExpandFromDoc(seed) {
  const x = shake256(seed, { dkLen: 96 });
  const m = ml_kem768.keygen(x.subarray(0, 64)); // noble's 64-byte seed is d || z
  const skX = x.slice(64, 96);
  const pkX = x25519.getPublicKey(skX);
  return { dkM: m.secretKey, pkM: m.publicKey, skX, pkX, pk: concat(m.publicKey, pkX) };
}

// X-Wing decapsulation from docs/format.md §5.5 on ML-KEM-768 and X25519:
// ss = SHA3-256(ss_M || ss_X || ct_X || pk_X || "\.//^\").
function xwingDecapFromDoc(ct, seed) {
  if (ct.length !== NENC) throw new Error('X-Wing ciphertext length');
  const { dkM, skX, pkX } = xwingExpandFromDoc(seed);
  const ctM = ct.subarray(0, 1088), ctX = ct.subarray(1088);
  const ssM = ml_kem768.decapsulate(ctM, dkM);
  const ssX = x25519.getSharedSecret(skX, ctX);
  return sha3_256(concat(ssM, ssX, ctX, pkX, XWING_LABEL));
}

// ---------------------------------------------------------------- HPKE, RFC 9180 §5.1, base mode

const SUITE_ID = concat(te.encode('HPKE'), u16(KEM_ID), u16(KDF_ID), u16(AEAD_ID)); // §5.5
const HPKE_V1 = te.encode('HPKE-v1');
const labeledExtract = (salt, label, ikm) => hkdfExtract(sha256, concat(HPKE_V1, SUITE_ID, te.encode(label), ikm), salt);
const labeledExpand = (prk, label, info, len) =>
  hkdfExpand(sha256, prk, concat(u16(len), HPKE_V1, SUITE_ID, te.encode(label), info), len);

// KeySchedule(mode_base, shared_secret, info, psk = "", psk_id = ""), then the
// single-shot Open with sequence number 0 (nonce = base_nonce).
function hpkeOpenBase(sharedSecret, info, aad, ct) {
  const empty = new Uint8Array(0);
  const pskIdHash = labeledExtract(empty, 'psk_id_hash', empty);
  const infoHash = labeledExtract(empty, 'info_hash', info);
  const context = concat(Uint8Array.of(0x00), pskIdHash, infoHash);
  const secret = labeledExtract(sharedSecret, 'secret', empty);
  const key = labeledExpand(secret, 'key', context, 32); // Nk
  const baseNonce = labeledExpand(secret, 'base_nonce', context, 12); // Nn
  return chacha20poly1305(key, baseNonce, aad).decrypt(ct);
}

const hpkeSuite = new CipherSuite({ kem: new XWing(), kdf: new HkdfSha256(), aead: new Chacha20Poly1305() });

const counts = { keys: 0, hpke: 0, stream: 0 };
const buf = (u8) => u8.slice().buffer; // an ArrayBuffer of exactly these bytes

// Step 5 three ways. Returns the content key K, or throws Reject("decrypt").
async function openStanza(enc, wrapped, seed, header) {
  const info = te.encode(HPKE_INFO);
  const attempt = async (f) => {
    try {
      return { key: await f() };
    } catch (e) {
      return { error: e };
    }
  };
  // (a) noble's X-Wing, our key schedule.
  const a = await attempt(() => hpkeOpenBase(ml_kem768_x25519.decapsulate(enc, seed), info, header, wrapped));
  // (b) X-Wing from the document on noble's ML-KEM-768 and X25519, our key schedule.
  const b = await attempt(() => hpkeOpenBase(xwingDecapFromDoc(enc, seed), info, header, wrapped));
  // (c) @hpke/core with @hpke/hybridkem-x-wing.
  const c = await attempt(async () => {
    const recipientKey = await hpkeSuite.kem.deserializePrivateKey(buf(seed));
    const pt = await hpkeSuite.open({ recipientKey, enc: buf(enc), info: buf(info) }, buf(wrapped), buf(header));
    return new Uint8Array(pt);
  });
  const all = [a, b, c];
  if (all.every((r) => r.error)) throw new Reject('decrypt', `HPKE open failed in all three (${a.error.message}; ${c.error.message})`);
  if (all.some((r) => r.error)) {
    // One implementation opening what another refuses is a disagreement to
    // report, not an outcome: fail the whole run.
    throw new Error(`HPKE implementations disagree: noble ${a.error ? 'failed' : 'opened'}, from-doc ${b.error ? 'failed' : 'opened'}, @hpke ${c.error ? 'failed' : 'opened'}`);
  }
  if (!eq(a.key, b.key) || !eq(a.key, c.key)) throw new Error('HPKE implementations opened different content keys');
  if (a.key.length !== 32) throw new Reject('decrypt', 'content key length');
  counts.hpke++;
  return a.key;
}

// ---------------------------------------------------------------- STREAM, parts, message

function streamDecrypt(key, aad, ct) {
  // §5.4
  counts.stream++;
  const out = [];
  const n = Math.max(1, Math.ceil(ct.length / (CHUNK + TAG)));
  for (let i = 0; i < n; i++) {
    const c = ct.subarray(i * (CHUNK + TAG), (i + 1) * (CHUNK + TAG));
    const last = i === n - 1;
    const nonce = concat(Uint8Array.of(0, 0, 0), u64(i), Uint8Array.of(last ? 1 : 0));
    let p;
    try {
      p = chacha20poly1305(key, nonce, aad).decrypt(c);
    } catch {
      throw new Reject('decrypt', `chunk ${i}`);
    }
    if (!last && p.length !== CHUNK) throw new Reject('decrypt', `short chunk ${i}`);
    if (last && p.length === 0 && i > 0) throw new Reject('decrypt', 'empty last chunk');
    out.push(p);
  }
  return concat(...out);
}

function decodeParts(pt) {
  // §4.2
  if (pt.length < 2) throw new Reject('commitment', 'plaintext too short');
  const dv = view(pt);
  const count = dv.getUint16(0);
  if (count < 1 || count > 256) throw new Reject('commitment', 'part count');
  let off = 2;
  const parts = [];
  for (let i = 0; i < count; i++) {
    if (off + 37 > pt.length) throw new Reject('commitment', 'truncated part');
    const tag = pt[off], salt = pt.slice(off + 1, off + 33), n = dv.getUint32(off + 33);
    off += 37;
    if (!(tag in KINDS) || n > 64 * 1024 * 1024 || off + n > pt.length) throw new Reject('commitment', 'bad part');
    parts.push({ tag, salt, content: pt.slice(off, off + n) });
    off += n;
  }
  if (off !== pt.length) throw new Reject('commitment', 'trailing plaintext');
  return parts;
}

function checkMessage(parts, channel, sender) {
  // §4.1, §4.3 (step 8)
  if (parts.length < 2 || parts[0].tag !== 1 || parts[1].tag !== 2) throw new Reject('malformed', 'parts 0 and 1 must be header and body');
  let header;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(parts[0].content));
  } catch {
    throw new Reject('malformed', 'inner header is not UTF-8 JSON');
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw new Reject('malformed', 'inner header is not an object');
  // §4.1: one more body part per entry of other_langs; §4.3: the tags
  // distinct (ASCII case), well formed, and which are authentic said.
  const langs = [header.lang, ...(header.other_langs ?? [])];
  const authentic = header.authentic ?? [];
  const lower = (s) => String(s).replace(/[A-Z]/g, (c) => c.toLowerCase());
  const tags = langs.map(lower);
  if (langs.length > 16 || new Set(tags).size !== tags.length
    || !langs.every((l) => typeof l === 'string' && l.length <= 35 && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(l))
    || authentic.some((a) => !tags.includes(lower(a))) || new Set(authentic.map(lower)).size !== authentic.length
    || (langs.length > 1 && authentic.length === 0)) throw new Reject('malformed', 'language fields');
  const bodies = parts.slice(2, 1 + langs.length);
  if (bodies.length !== langs.length - 1 || bodies.some((p) => p.tag !== 2)) throw new Reject('malformed', "body parts do not match the header's languages");
  const atts = header.attachments ?? [];
  const stix = header.stix ?? false;
  const rest = parts.slice(1 + langs.length);
  if (!Array.isArray(atts) || rest.length !== atts.length + (stix ? 1 : 0)) throw new Reject('malformed', 'part count does not match the header');
  atts.forEach((meta, i) => {
    const { tag, content } = rest[i];
    if (tag !== 3 || meta.size !== content.length || meta.sha256 !== toHex(sha256(content))) throw new Reject('malformed', 'attachment does not match the header');
  });
  if (stix && rest[rest.length - 1].tag !== 4) throw new Reject('malformed', 'stix part missing');
  if (header.channel !== toHex(channel) || header.author !== toHex(sender)) throw new Reject('malformed', 'header contradicts the envelope');
  const opensCase = ['inquiry', 'assistance', 'warning', 'deconfliction', 'consultation'].includes(header.kind);
  if (opensCase !== (header.case === header.id)) throw new Reject('malformed', 'case rule');
}

// ---------------------------------------------------------------- §5.3

async function openEnvelope(env, senderPublic, seed, myPublic) {
  // 1. Layout.
  if (env.length < SIGNED_HEAD_LEN || !eq(env.subarray(0, 4), MAGIC) || env[4] !== SUITE_BYTE) throw new Reject('malformed', 'magic, suite or length');
  const head = env.subarray(0, HEAD_LEN), sig = env.subarray(HEAD_LEN, SIGNED_HEAD_LEN);
  const header = head.subarray(0, HEADER_LEN);
  const channel = header.subarray(5, 21), senderId = header.subarray(21, 53), commitment = header.subarray(69, 101);
  const hv = view(head);
  const count = hv.getUint32(101);
  const stanzasHash = head.subarray(105, 137);
  const ctLen = hv.getBigUint64(137);
  const ctHash = head.subarray(145, 177);
  if (count < 1 || count > 10000 || ctLen < 16n || ctLen > 256n * 1024n * 1024n) throw new Reject('malformed', 'ranges');
  const body = env.subarray(SIGNED_HEAD_LEN);
  const want = BigInt(count * STANZA_LEN) + ctLen;
  if (BigInt(body.length) < want) throw new Reject('malformed', 'truncated');
  if (BigInt(body.length) > want) throw new Reject('malformed', 'trailing bytes');
  // The stanza block: the index (an entry per recipient), then the sealed keys.
  const index = body.subarray(0, count * INDEX_ENTRY_LEN);
  const sealed = body.subarray(count * INDEX_ENTRY_LEN, count * STANZA_LEN), ct = body.subarray(count * STANZA_LEN);
  // 2. Hashes: of the index (not of the others' sealed keys) and of the ciphertext.
  if (!eq(sha256(index), stanzasHash) || !eq(sha256(ct), ctHash)) throw new Reject('body-mismatch', 'index or ciphertext hash');
  const ids = [];
  for (let i = 0; i < count; i++) ids.push(toHex(index.subarray(i * INDEX_ENTRY_LEN, i * INDEX_ENTRY_LEN + 32)));
  if (new Set(ids).size !== ids.length) throw new Reject('malformed', 'duplicate recipient');
  // 3. Signature.
  if (!eq(keyId('ed25519', senderPublic), senderId)) throw new Reject('signature', 'sender key id');
  if (!verifyStrict(sig, pae(HEAD_TYPE, head), senderPublic)) throw new Reject('signature', 'bad signature');
  // 4. Our stanza: the key id of skR's public key.
  const i = ids.indexOf(toHex(keyId('x-wing', myPublic)));
  if (i < 0) throw new Reject('not-a-recipient', 'no stanza for us');
  const st = sealed.subarray(i * SEALED_LEN, (i + 1) * SEALED_LEN);
  const named = index.subarray(i * INDEX_ENTRY_LEN + 32, (i + 1) * INDEX_ENTRY_LEN);
  if (!eq(sha256(st), named)) throw new Reject('body-mismatch', 'our sealed key is not the one the index names');
  const enc = st.subarray(0, NENC), wrapped = st.subarray(NENC);
  // 5. HPKE.
  const key = await openStanza(enc, wrapped, seed, header);
  // 6. STREAM.
  const pt = streamDecrypt(key, header, ct);
  // 7. Commitment.
  const parts = decodeParts(pt);
  if (!eq(mth(parts.map((p) => leafHash(p.tag, p.salt, p.content))), commitment)) throw new Reject('commitment', 'commitment mismatch');
  // 8. Message.
  checkMessage(parts, channel, senderId);
  return { commitment, parts };
}

// An opener's keys: the public key derives from the seed with noble's X-Wing,
// with the document's formula and with @hpke's XWing, and the key id is §2's.
async function checkKeys(o, seed, pub) {
  const noble = ml_kem768_x25519.keygen(seed);
  const doc = xwingExpandFromDoc(seed);
  const kp = await hpkeSuite.kem.generateKeyPairDerand(seed);
  const hpke = new Uint8Array(await hpkeSuite.kem.serializePublicKey(kp.publicKey));
  const ok =
    seed.length === NSK &&
    pub.length === NPK &&
    eq(noble.publicKey, pub) &&
    eq(doc.pk, pub) &&
    eq(hpke, pub) &&
    eq(noble.secretKey, seed) && // an X-Wing private key is its seed (§2)
    toHex(keyId('x-wing', pub)) === o.key_id;
  if (ok) counts.keys++;
  return ok;
}

// ---------------------------------------------------------------- main

async function main() {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const file = process.argv[2] ?? path.join(here, '..', '..', 'vectors', 'envelopes-xwing.json');
  const doc = JSON.parse(readFileSync(file, 'utf8'));
  const setup = [
    doc.head_payload_type === HEAD_TYPE,
    doc.hpke_info === HPKE_INFO,
    doc.suite === 'hotline-v2-xwing',
    doc.suite_id === SUITE_BYTE,
    doc.hpke?.kem_id === '0x647a',
    doc.hpke?.kdf_id === '0x0001',
    doc.hpke?.aead_id === '0x0003',
    doc.hpke?.enc_len === NENC,
    doc.hpke?.public_key_len === NPK,
    doc.hpke?.stanza_len === STANZA_LEN,
    // The libraries' X-Wing is the KEM of §5.5: id and sizes.
    hpkeSuite.kem.id === KEM_ID,
    hpkeSuite.kem.encSize === NENC && hpkeSuite.kem.publicKeySize === NPK && hpkeSuite.kem.privateKeySize === NSK,
    ml_kem768_x25519.lengths.cipherText === NENC && ml_kem768_x25519.lengths.publicKey === NPK && ml_kem768_x25519.lengths.secretKey === NSK,
  ];
  if (!setup.every(Boolean)) {
    console.log(`FAIL ${file}: suite parameters differ from docs/format.md §5.5 (${setup.map((x) => (x ? 1 : 0)).join('')})`);
    return 1;
  }

  let passed = 0, failed = 0;
  const result = (name, ok, detail = '') => {
    if (ok) passed++;
    else failed++;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${name} ${detail}`);
  };

  for (const v of doc.vectors) {
    for (const [n, o] of v.openers.entries()) {
      const name = `${v.name}[${n}]`;
      try {
        const seed = fromHex(o.secret), pub = fromHex(o.public);
        const keysOk = await checkKeys(o, seed, pub);
        let outcome, opened = null;
        try {
          opened = await openEnvelope(fromHex(v.envelope), fromHex(v.sender_public), seed, pub);
          outcome = 'ok';
        } catch (e) {
          if (!(e instanceof Reject)) throw e;
          outcome = e.outcome;
        }
        let ok = keysOk && outcome === v.expect;
        if (ok && outcome === 'ok') {
          const want = JSON.stringify(v.parts.map((k) => [k.kind, k.salt, k.content]));
          const got = JSON.stringify(opened.parts.map((p) => [KINDS[p.tag], toHex(p.salt), toHex(p.content)]));
          ok = got === want && toHex(opened.commitment) === v.commitment;
        }
        result(name, ok, `(expected ${v.expect}, got ${outcome}${keysOk ? '' : '; opener keys do not derive'})`);
      } catch (e) {
        result(name, false, `(expected ${v.expect}: ${e.message})`);
      }
    }
  }

  const tags = Object.fromEntries(Object.entries(KINDS).map(([t, k]) => [k, Number(t)]));
  for (const o of doc.openings) {
    try {
      const leaves = o.parts.map((p) =>
        'leaf_hash' in p ? fromHex(p.leaf_hash) : leafHash(tags[p.kind], fromHex(p.salt), fromHex(p.content)),
      );
      const got = toHex(mth(leaves)) === o.commitment ? 'ok' : 'mismatch';
      result(o.name, got === o.expect, `(expected ${o.expect}, got ${got})`);
    } catch (e) {
      result(o.name, false, `(expected ${o.expect}: ${e.message})`);
    }
  }

  // Every check must have run: a vector file with fewer vectors, openers or
  // openings, or a path that stopped reaching HPKE or STREAM, fails the run.
  const ran = { results: passed + failed, ...counts };
  const short = Object.keys(EXPECTED).filter((k) => ran[k] !== EXPECTED[k]);
  console.log(
    `open_envelopes (x-wing): ${passed} passed, ${failed} failed; ` +
      `${counts.keys} opener keys derived (noble, docs/format.md, @hpke), ` +
      `${counts.hpke} stanzas opened by noble+our HPKE, docs/format.md X-Wing+our HPKE and @hpke/core alike, ` +
      `${counts.stream} STREAM decryptions`,
  );
  if (short.length) {
    console.log(`FAIL checks run differ from the expected: ${short.map((k) => `${k} ${ran[k]} (expected ${EXPECTED[k]})`).join(', ')}`);
    return 1;
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
