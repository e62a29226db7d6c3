// The offline verifier of Hotline disclosure bundles (docs/disclosure.md §3),
// in JavaScript, for verify.html. It mirrors crates/disclosure/src/verify.rs
// check for check, with the audited noble libraries for SHA-256 and Ed25519
// (strict RFC 8032). Pure: bytes in, a report out; nothing is fetched.

import * as ed from '@noble/ed25519';
import { sha256, sha512 } from '@noble/hashes/sha2.js';

ed.hashes.sha512 = sha512;

const enc = new TextEncoder();
// ignoreBOM keeps a byte-order mark, which serde_json refuses, in the text.
const dec = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
// Message texts shown as Rust's String::from_utf8_lossy shows them.
const lossy = new TextDecoder('utf-8', { ignoreBOM: true });

export const BUNDLE_TYPE = 'hotline.disclosure-bundle';
const CHARTER_TYPE = 'application/vnd.hotline.charter+json';
const ROSTER_TYPE = 'application/vnd.hotline.roster+json';
const HEAD_TYPE = 'application/vnd.hotline.envelope-head.v1';
const MAGIC = { charter: [0x48, 0x4c, 0x43, 0x01], roster: [0x48, 0x4c, 0x52, 0x01], head: [0x48, 0x4c, 0x45, 0x01], time: [0x48, 0x4c, 0x54, 0x01] };
const SIGNED_HEAD_LEN = 241;
const KINDS_OPENING = ['inquiry', 'assistance', 'warning', 'deconfliction', 'consultation'];
const DISCLOSURE_KINDS = ['disclosure-request', 'disclosure-consent', 'disclosure-refusal'];

class Fail extends Error {}
const fail = (m) => { throw new Fail(m); };

function concat(...parts) {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const eq = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

function binary(b) {
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode.apply(null, b.subarray(i, i + 0x8000));
  return s;
}

function b64(s, what) {
  if (typeof s !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) fail(`${what} is not base64`);
  let bin;
  try { bin = atob(s); } catch { fail(`${what} is not base64`); }
  const out = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  if (btoa(binary(out)) !== s) fail(`${what} is not canonical base64`);
  return out;
}
const b64e = (b) => btoa(binary(b));
function unhex(s, n, what) {
  if (typeof s !== 'string' || s.length !== 2 * n || !/^[0-9a-f]*$/.test(s)) fail(`${what} is not ${2 * n} lower-case hex digits`);
  return Uint8Array.from(s.match(/../g) || [], (x) => parseInt(x, 16));
}
const u32 = (b, o) => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
function u64(b, o) {
  const v = (BigInt(u32(b, o)) << 32n) | BigInt(u32(b, o + 4));
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail('a number is too large');
  return Number(v);
}

// Ed25519 exactly as ed25519-dalek's verify_strict: canonical encodings and
// S below the group order, no small-order public key (noble's zip215:false
// branch gives these), and also no small-order R and the cofactorless
// equation [S]B - [k]A == R, byte for byte: noble's cofactored equation
// accepts R plus a small-order point, and small-order R, which dalek refuses.
const leU = (b) => b.reduceRight((a, x) => (a << 8n) | BigInt(x), 0n);
function verifySig(sig, msg, pub) {
  try {
    if (!ed.verify(sig, msg, pub, { zip215: false })) return false;
    const rb = sig.subarray(0, 32);
    const R = ed.Point.fromBytes(rb, false);
    if (R.isSmallOrder()) return false;
    const A = ed.Point.fromBytes(pub, false);
    const k = leU(sha512(concat(rb, pub, msg))) % ED_L;
    const back = ed.Point.BASE.multiply(leU(sig.subarray(32)), false).subtract(A.multiply(k, false));
    return eq(Array.from(back.toBytes()), Array.from(rb));
  } catch { return false; }
}
const ED_L = 2n ** 252n + 27742317777372353535851937790883648493n;
// VerifyingKey::from_bytes: a point on the curve (dalek decompresses
// leniently, as noble's zip215 decoding does).
function isPoint(pub) {
  try { ed.Point.fromBytes(pub, true); return true; } catch { return false; }
}
// VerifyingKey::is_weak: a small-order point.
function isWeak(pub) {
  try { return ed.Point.fromBytes(pub, true).isSmallOrder(); } catch { return false; }
}
const keyId = (alg, pub) => sha256(concat(enc.encode('hotline/keyid/v1/' + alg), new Uint8Array([0]), pub));
function pae(type, body) {
  const t = enc.encode(type);
  return concat(enc.encode(`DSSEv1 ${t.length} `), t, enc.encode(` ${body.length} `), body);
}
const leafHash = (data) => sha256(concat(new Uint8Array([0]), data));
const nodeHash = (l, r) => sha256(concat(new Uint8Array([1]), l, r));

function merkleRoot(leaves) {
  if (leaves.length === 0) return sha256(new Uint8Array());
  if (leaves.length === 1) return leaves[0];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(merkleRoot(leaves.slice(0, k)), merkleRoot(leaves.slice(k)));
}

// RFC 9162 §2.1.3.2.
function verifyInclusion(index, size, leaf, proof, root) {
  if (index >= size) return false;
  let fn = index, sn = size - 1, r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) { while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); } }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  return sn === 0 && eq(r, root);
}

// JSON exactly as serde_json reads it (crates/disclosure, crates/core): a
// duplicate field of a struct, a number that is not a non-negative integer
// below 2^64 where one is expected, a lone surrogate, a byte-order mark or
// nesting deeper than 127 levels is refused, never silently resolved as
// JSON.parse would. Numbers that no unsigned field accepts come back boxed
// (typeof 'object'), so every integer check refuses them.
const DUPLICATES = new WeakMap();
function parseJson(text) {
  let i = 0, depth = 0;
  const bad = (m) => { throw new SyntaxError(`${m} at offset ${i}`); };
  const ws = () => { while (i < text.length && ' \t\n\r'.includes(text[i])) i++; };
  const value = () => {
    ws();
    const c = text[i];
    if (c === '{' || c === '[') {
      if (++depth >= 128) bad('nested too deeply');
      i++;
      const out = c === '{' ? {} : [];
      const dups = [];
      ws();
      if (text[i] === (c === '{' ? '}' : ']')) { i++; depth--; return out; }
      for (;;) {
        if (c === '{') {
          ws();
          if (text[i] !== '"') bad('expected a key');
          const k = string();
          ws();
          if (text[i++] !== ':') bad("expected ':'");
          if (Object.prototype.hasOwnProperty.call(out, k)) dups.push(k);
          Object.defineProperty(out, k, { value: value(), enumerable: true, writable: true, configurable: true });
        } else out.push(value());
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === (c === '{' ? '}' : ']')) { i++; break; }
        bad("expected ',' or a closing bracket");
      }
      depth--;
      if (dups.length) DUPLICATES.set(out, dups);
      return out;
    }
    if (c === '"') return string();
    const lit = /^(?:true|false|null)/.exec(text.slice(i, i + 5));
    if (lit) { i += lit[0].length; return { true: true, false: false, null: null }[lit[0]]; }
    const m = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!m) bad('expected a value');
    i += m[0].length;
    const unsigned = /^(?:0|[1-9][0-9]*)$/.test(m[0]) && BigInt(m[0]) <= 0xffffffffffffffffn;
    // eslint-disable-next-line no-new-wrappers
    return unsigned ? Number(m[0]) : new Number(m[0]);
  };
  const string = () => {
    i++;
    let s = '';
    for (;;) {
      const c = text[i++];
      if (c === undefined) bad('unterminated string');
      if (c === '"') break;
      if (c < ' ') bad('a control character in a string');
      if (c !== '\\') { s += c; continue; }
      const e = text[i++];
      const simple = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' }[e];
      if (simple !== undefined) { s += simple; continue; }
      if (e !== 'u') bad('a bad escape');
      const unit = () => { const h = text.slice(i, i + 4); if (!/^[0-9a-fA-F]{4}$/.test(h)) bad('a bad \\u escape'); i += 4; return parseInt(h, 16); };
      const u = unit();
      if (u >= 0xdc00 && u < 0xe000) bad('a lone surrogate');
      if (u >= 0xd800 && u < 0xdc00) {
        if (text.slice(i, i + 2) !== '\\u') bad('a lone surrogate');
        i += 2;
        const l = unit();
        if (l < 0xdc00 || l >= 0xe000) bad('a lone surrogate');
        s += String.fromCharCode(u, l);
      } else s += String.fromCharCode(u);
    }
    return s;
  };
  const v = value();
  ws();
  if (i !== text.length) bad('trailing characters');
  return v;
}
function strictJson(text, what) {
  try { return parseJson(text); } catch (e) { fail(`${what} does not parse: ${e.message}`); }
}
// A struct with #[serde(deny_unknown_fields)]: an object, no unknown and no
// repeated field.
function only(obj, fields, what) {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) fail(`${what} is not an object`);
  for (const k of Object.keys(obj)) if (!fields.includes(k)) fail(`${what} has an unknown field ${JSON.stringify(k)}`);
  const d = DUPLICATES.get(obj);
  if (d) fail(`${what} repeats the field ${JSON.stringify(d[0])}`);
}
// Field types, as serde reads them. `opt` fields (Option, or #[serde(default)])
// may be absent; `nullable` ones (Option) may also be null.
const isU = (max) => (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;
const TY = {
  str: (v) => typeof v === 'string',
  bool: (v) => typeof v === 'boolean',
  u8: isU(255),
  u32: isU(0xffffffff),
  u64: isU(2 ** 64),
  arr: (t) => (v) => Array.isArray(v) && v.every(t),
};
// Checks `obj` against `schema` ({ field: [type, 'req' | 'opt' | 'nullable'] }).
function shape(obj, schema, what) {
  only(obj, Object.keys(schema), what);
  for (const [k, [t, how]] of Object.entries(schema)) {
    const v = obj[k];
    if (v === undefined) { if (how === 'req') fail(`${what} lacks the field ${JSON.stringify(k)}`); continue; }
    if (v === null && how === 'nullable') continue;
    if (!t(v)) fail(`${what}: the field ${JSON.stringify(k)} has the wrong type`);
  }
  return obj;
}

// A log entry (crates/core/src/entry.rs, envelope.rs).
function parseEntry(bytes) {
  if (bytes.length > 65535) fail('a log entry is too large');
  const m = Array.from(bytes.slice(0, 4));
  if (eq(m, MAGIC.charter)) return { kind: 'charter', doc: parseDsse(bytes.slice(4), 'the charter') };
  if (eq(m, MAGIC.roster)) return { kind: 'roster', doc: parseDsse(bytes.slice(4), 'a roster') };
  if (eq(m, MAGIC.head)) {
    if (bytes.length !== SIGNED_HEAD_LEN) fail('an envelope head is not 241 bytes');
    const suite = SUITE_BY_ID[bytes[4]];
    if (!suite) fail(`unknown cipher suite ${bytes[4]}`);
    const recipients = u32(bytes, 101);
    if (recipients === 0 || recipients > 10000) fail(`recipient count ${recipients} out of range 1..=10000`);
    const ciphertext = (BigInt(u32(bytes, 137)) << 32n) | BigInt(u32(bytes, 141));
    if (ciphertext < 16n || ciphertext > 256n * 1024n * 1024n) fail(`ciphertext length ${ciphertext} out of range`);
    return {
      kind: 'head',
      suite,
      head: bytes.slice(0, 177),
      channel: hex(bytes.slice(5, 21)),
      sender: hex(bytes.slice(21, 53)),
      commitment: bytes.slice(69, 101),
      sig: bytes.slice(177, 241),
    };
  }
  if (eq(m, MAGIC.time)) {
    // The relay's time attestation: UTF-8 text ending with a newline.
    let text;
    try { text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.slice(4)); } catch { fail('a time attestation is not UTF-8 text'); }
    if (!text.endsWith('\n')) fail('a time attestation is a signed note, which ends with a newline');
    return { kind: 'time' };
  }
  fail('not a log entry (unknown magic)');
}

function parseDsse(bytes, what) {
  if (bytes.length > 2 * 64 * 1024) fail(`${what} is too large`);
  const d = strictJson(dec.decode(bytes), what);
  shape(d, { payloadType: [TY.str, 'req'], payload: [TY.str, 'req'], signatures: [Array.isArray, 'req'] }, what);
  if (d.signatures.length > 64) fail(`${what} has more than 64 signatures`);
  const payload = b64(d.payload, `${what} payload`);
  if (payload.length > 64 * 1024) fail(`${what} payload is too large`);
  const seen = new Set();
  const sigs = d.signatures.map((s) => {
    shape(s, { keyid: [TY.str, 'req'], sig: [TY.str, 'req'] }, `${what} signature`);
    unhex(s.keyid, 32, 'a key id');
    if (seen.has(s.keyid)) fail(`${what}: duplicate signer`);
    seen.add(s.keyid);
    const sig = b64(s.sig, 'a signature');
    if (sig.length !== 64) fail('a signature is not 64 bytes');
    return { keyid: s.keyid, sig };
  });
  const canonical = JSON.stringify({ payloadType: d.payloadType, payload: d.payload, signatures: d.signatures.map((s) => ({ keyid: s.keyid, sig: s.sig })) });
  if (!eq(Array.from(enc.encode(canonical)), Array.from(bytes))) fail(`${what}: a logged document must be in canonical DSSE JSON`);
  return { type: d.payloadType, payload, sigs };
}
function verifiedBy(doc, pub) {
  const id = hex(keyId('ed25519', pub));
  const s = doc.sigs.find((x) => x.keyid === id);
  return !!s && verifySig(s.sig, pae(doc.type, doc.payload), pub);
}

const KINDS = ['inquiry', 'assistance', 'warning', 'deconfliction', 'consultation', 'ack', 'interim', 'answer', 'clarification', 'close', 'reopen', 'ping', 'pong', 'disclosure-request', 'disclosure-consent', 'disclosure-refusal'];
const TLPS = ['TLP:CLEAR', 'TLP:GREEN', 'TLP:AMBER', 'TLP:AMBER+STRICT', 'TLP:RED'];
const NORMS = ['13a', '13b', '13c', '13d', '13e', '13f', '13g', '13h', '13i', '13j', '13k'];
const oneOf = (list) => (v) => typeof v === 'string' && list.includes(v);
const hexId = (n) => (v) => typeof v === 'string' && v.length === 2 * n && /^[0-9a-f]*$/.test(v);
// RFC 3339 date-time, as the time crate's Rfc3339 parses it: any one byte
// (so an ASCII character) between date and time, a leap second only as the
// last second of a month in UTC.
function rfc3339(s) {
  const m = /^(\d{4})-(\d{2})-(\d{2})[\u0000-\u007f](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|([+-])(\d{2}):(\d{2}))$/.exec(s);
  if (!m) return false;
  const [y, mo, d, h, mi, se] = m.slice(1, 7).map(Number);
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1];
  if (!days || d < 1 || d > days || h > 23 || mi > 59 || se > 60) return false;
  const off = m[9] ? (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11])) : 0;
  if (m[9] && (Number(m[10]) > 23 || Number(m[11]) > 59)) return false;
  if (se === 60) {
    const t = new Date(Date.UTC(leap ? 2000 : 2001, mo - 1, d, h, mi - off, 59));
    const last = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + 1, 0)).getUTCDate();
    if (t.getUTCHours() !== 23 || t.getUTCMinutes() !== 59 || t.getUTCDate() !== last) return false;
  }
  return true;
}

// The charter (crates/core/src/charter.rs): its fields, Charter::validate,
// and VerifiedCharter::verify (every party signed, nobody else).
function verifyCharter(doc) {
  if (doc.type !== CHARTER_TYPE) fail(`payload type ${JSON.stringify(doc.type)} is not ${JSON.stringify(CHARTER_TYPE)}`);
  const c = strictJson(dec.decode(doc.payload), 'the charter');
  shape(c, {
    v: [TY.u8, 'req'], title: [TY.str, 'req'], nonce: [TY.str, 'req'], created: [TY.str, 'req'],
    parties: [Array.isArray, 'req'], relay: [(v) => v !== null && typeof v === 'object', 'req'], witnesses: [Array.isArray, 'opt'],
    witness_quorum: [TY.u32, 'req'], deadlines: [(v) => v !== null && typeof v === 'object' && !Array.isArray(v), 'req'],
    disclosure: [oneOf(['unanimous']), 'req'], default_tlp: [oneOf(TLPS), 'req'], retention_days: [TY.u32, 'req'], suite: [TY.str, 'req'],
  }, 'the charter');
  c.parties.forEach((p) => shape(p, { id: [hexId(32), 'req'], name: [TY.str, 'req'], short: [TY.str, 'req'], key: [TY.str, 'req'] }, 'a charter party'));
  shape(c.relay, { url: [TY.str, 'req'], key: [TY.str, 'req'] }, "the charter's relay");
  c.witnesses = c.witnesses || [];
  c.witnesses.forEach((w) => shape(w, { key: [TY.str, 'req'], url: [TY.str, 'req'] }, 'a charter witness'));
  for (const [k, d] of Object.entries(c.deadlines)) {
    if (!KINDS.includes(k)) fail(`the charter sets deadlines for the unknown kind ${JSON.stringify(k)}`);
    shape(d, { ack_within: [TY.u64, 'nullable'], answer_within: [TY.u64, 'nullable'] }, 'a deadline');
  }
  if (c.v !== 1) fail(`invalid charter: unsupported version ${c.v}`);
  if (!Object.hasOwn(SUITES, c.suite)) fail(`invalid charter: unknown suite ${JSON.stringify(c.suite)}; this version supports "hotline-v2-xwing" and "hotline-v1"`);
  if (c.parties.length < 2 || c.parties.length > 32) fail(`invalid charter: ${c.parties.length} parties; between 2 and 32 are required`);
  if (!/^[0-9a-fA-F]{32}$/.test(c.nonce)) fail('invalid charter: nonce must be 32 hex digits');
  if (!rfc3339(c.created)) fail('invalid charter: created is not an RFC 3339 time');
  c.parties.forEach((p, i) => {
    const pub = b64(p.key, `party ${p.short}'s key`);
    if (pub.length !== 32 || !isPoint(pub)) fail(`party ${p.short}'s key is not an Ed25519 public key`);
    if (isWeak(pub)) fail(`invalid charter: party ${JSON.stringify(p.short)} has a weak key`);
    if (hex(keyId('ed25519', pub)) !== p.id) fail(`invalid charter: party ${JSON.stringify(p.short)}: id does not match its key`);
    if (!/^[a-z0-9][a-z0-9-]{0,31}$/.test(p.short)) fail(`invalid charter: party short name ${JSON.stringify(p.short)} must be lower-case letters, digits and '-'`);
    if (c.parties.slice(0, i).some((q) => q.id === p.id || q.short === p.short)) fail(`invalid charter: party ${JSON.stringify(p.short)} is listed twice`);
    p.pub = pub;
  });
  if (c.witness_quorum > c.witnesses.length) fail(`invalid charter: witness quorum ${c.witness_quorum} exceeds the ${c.witnesses.length} witnesses listed`);
  for (const k of Object.keys(c.deadlines)) if (!KINDS_OPENING.includes(k) && k !== 'ping') fail(`invalid charter: deadlines may be set for case-opening kinds and ping, not ${k}`);
  if (c.relay.url === '' || c.relay.key === '') fail("invalid charter: the relay's URL and key are required");
  for (const p of c.parties) if (!verifiedBy(doc, p.pub)) fail(`the charter is not signed by party ${JSON.stringify(p.short)}`);
  for (const s of doc.sigs) if (!c.parties.some((p) => p.id === s.keyid)) fail(`the charter carries a signature by ${s.keyid}, which is not a party key`);
  const channel = hex(sha256(concat(enc.encode('hotline/channel/v1\0'), doc.payload)).slice(0, 16));
  return { c, channel };
}

// The roster directory (crates/core/src/roster.rs, docs/format.md §3.2):
// every rule of Roster::parsed_members and Directory::apply. Keys are
// compared as their raw 32 bytes, whatever their kind.
const MEMBER_PROOF_TYPE = 'application/vnd.hotline.member-proof.v1';

// The cipher suites (docs/format.md §5.5): the length of a member's
// encryption key and the PAE type of its proof; SUITE_BY_ID names the suite
// of an envelope head's suite byte.
const SUITES = {
  'hotline-v1': { keyLen: 32, proofType: MEMBER_PROOF_TYPE },
  'hotline-v2-xwing': { keyLen: 1216, proofType: 'application/vnd.hotline.member-proof.v2-xwing' },
};
const SUITE_BY_ID = { 1: 'hotline-v1', 2: 'hotline-v2-xwing' };

// An X-Wing public key's ML-KEM-768 part must pass FIPS 203's modulus check
// (every 12-bit coefficient of its three polynomials below q = 3329), as the
// Rust verifier requires.
function xwingKeyValid(k) {
  for (let i = 0; i < 1152; i += 3) {
    const a = k[i] | ((k[i + 1] & 0x0f) << 8);
    const b = (k[i + 1] >> 4) | (k[i + 2] << 4);
    if (a >= 3329 || b >= 3329) return false;
  }
  return true;
}
const MAX_MEMBERS = 256;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
function vkeyBytes(vkey) {
  // name+id+base64(type || key): the 32 key bytes, if it has that shape.
  if (typeof vkey !== 'string') return null;
  const parts = vkey.split('+');
  if (parts.length < 3) return null;
  try { const raw = b64(parts.slice(2).join('+'), 'a verifier key'); return raw.length === 33 ? raw.slice(1) : null; } catch { return null; }
}
function edPoint(pub) {
  try { return ed.Point.fromBytes(pub); } catch { return null; }
}
class Directory {
  constructor(charter, channel) {
    this.charter = charter; this.channel = channel; this.hist = charter.parties.map(() => []);
    // hex(key bytes) -> { reserved: description } | { slot, signing }
    this.owners = new Map();
    for (const p of charter.parties) if (p.pub) this.owners.set(hex(p.pub), { reserved: `the party key of ${p.short}` });
    const r = vkeyBytes(charter.relay && charter.relay.key);
    if (r) this.owners.set(hex(r), { reserved: "the relay's key" });
    for (const w of charter.witnesses || []) {
      const k = vkeyBytes(w && w.key);
      if (k) this.owners.set(hex(k), { reserved: `the key of witness ${w.key.split('+')[0]}` });
    }
  }
  apply(index, doc) {
    if (doc.type !== ROSTER_TYPE) fail('payload type is not a roster');
    const r = strictJson(dec.decode(doc.payload), 'a roster');
    only(r, ['v', 'channel', 'party', 'version', 'previous', 'issued', 'members'], 'a roster');
    if (r.channel !== this.channel) fail('the roster names another channel');
    const slot = this.charter.parties.findIndex((p) => p.id === r.party);
    if (slot < 0) fail('its party is not in the charter');
    if (!verifiedBy(doc, this.charter.parties[slot].pub) || doc.sigs.length !== 1) fail('it is not signed by its party alone');
    if (r.v !== 1) fail(`unsupported roster version ${r.v}`);
    if (!Array.isArray(r.members) || r.members.length === 0 || r.members.length > MAX_MEMBERS) fail(`a roster lists 1 to ${MAX_MEMBERS} members`);
    const channelBytes = unhex(r.channel, 16, 'the channel');
    const partyBytes = unhex(r.party, 32, 'the party');
    const seen = new Set();
    const members = r.members.map((m) => {
      only(m, ['name', 'signing_key', 'encryption_key', 'proof'], 'a roster member');
      if (typeof m.name !== 'string') fail('a member name is not a string');
      const who = `member ${JSON.stringify(m.name)}`;
      const pub = b64(m.signing_key, 'a member key');
      if (pub.length !== 32) fail('a member key is not 32 bytes');
      const point = edPoint(pub);
      if (!point) fail(`${who}: its signing key is not a valid point`);
      if (point.isSmallOrder()) fail(`${who}: its signing key is weak (small order)`);
      const encKey = b64(m.encryption_key, 'an encryption key');
      const suite = SUITES[this.charter.suite];
      if (encKey.length !== 32 && encKey.length !== 1216) fail('an encryption key is neither 32 bytes (X25519) nor 1216 bytes (X-Wing)');
      if (encKey.length === 1216 && !xwingKeyValid(encKey)) fail('an encryption key is not a valid X-Wing key');
      if (encKey.length !== suite.keyLen) fail(`${who}: its encryption key is of suite ${encKey.length === 32 ? 'hotline-v1' : 'hotline-v2-xwing'}, but the channel's suite is ${this.charter.suite}`);
      if (m.proof === undefined || m.proof === '') fail(`${who}: it carries no proof of possession`);
      const proof = b64(m.proof, 'a member proof');
      if (proof.length !== 64) fail(`${who}: its proof of possession is not a 64-byte signature`);
      const statement = pae(suite.proofType, concat(channelBytes, partyBytes, pub, encKey, enc.encode(m.name)));
      if (!verifySig(proof, statement, pub)) fail(`${who}: its proof of possession does not verify`);
      const [s, e] = [hex(pub), hex(encKey)];
      if (s === e || seen.has(s) || seen.has(e)) fail(`${who}: a key is listed twice`);
      seen.add(s); seen.add(e);
      for (const [k, signing] of [[s, true], [e, false]]) {
        const o = this.owners.get(k);
        if (!o || (o.slot === slot && o.signing === signing)) continue;
        const what = signing ? 'signing key' : 'encryption key';
        if (o.reserved) fail(`${who}: its ${what} is ${o.reserved}`);
        if (o.slot === slot) fail(`${who}: its ${what} is listed earlier by this party in the other role`);
        fail(`${who}: its ${what} is already a key of party ${this.charter.parties[o.slot].short}: a key belongs to one party`);
      }
      return { name: m.name, pub, enc: encKey, id: hex(keyId('ed25519', pub)) };
    });
    const h = this.hist[slot];
    if (r.version !== h.length + 1) fail(`version ${r.version}, expected ${h.length + 1}`);
    const prev = h.length ? hex(sha256(h[h.length - 1].payload)) : null;
    if ((r.previous ?? null) !== prev) fail('the previous-version hash does not match');
    if (h.length && h[h.length - 1].index >= index) fail('roster indexes must increase');
    if (typeof r.issued !== 'string' || !RFC3339.test(r.issued) || Number.isNaN(Date.parse(r.issued))) fail('issued is not an RFC 3339 time');
    for (const m of members) { this.owners.set(hex(m.pub), { slot, signing: true }); this.owners.set(hex(m.enc), { slot, signing: false }); }
    h.push({ index, payload: doc.payload, members });
  }
  signerAt(id, index) {
    for (let s = 0; s < this.hist.length; s++) {
      const v = [...this.hist[s]].reverse().find((x) => x.index < index);
      const m = v && v.members.find((x) => x.id === id);
      if (m) return { party: this.charter.parties[s].id, member: m };
    }
    return null;
  }
  current() {
    return this.hist.flatMap((h, s) => (h.length ? h[h.length - 1].members.map((m) => ({ party: this.charter.parties[s].id, m })) : []));
  }
}

// Signed notes and cosignatures (C2SP signed-note, tlog-cosignature), read
// as crates/log/src/note.rs reads them.
const MAX_NOTE_LEN = 1 << 20;
const MAX_NOTE_SIGNATURES = 100;
// Rust's char::is_whitespace (Unicode White_Space): what signed-note calls
// "Unicode spaces". Not JavaScript's \s, which adds U+FEFF and lacks U+0085.
const SPACE = /[\u0009-\u000d\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;
const validName = (n) => n.length > 0 && !SPACE.test(n) && !n.includes('+');
function parseNote(text) {
  if (enc.encode(text).length > MAX_NOTE_LEN) fail('the note is too large');
  if (/[\u0000-\u0009\u000b-\u001f]/.test(text)) fail('control characters are not allowed in a signed note');
  const i = text.lastIndexOf('\n\n');
  if (i < 0) fail('no blank line before the signatures');
  const body = text.slice(0, i + 1);
  const rest = text.slice(i + 2);
  if (!rest.endsWith('\n')) fail('signature lines must end with a newline');
  const sigs = [];
  for (const l of rest.slice(0, -1).split('\n')) {
    if (sigs.length === MAX_NOTE_SIGNATURES) fail(`more than ${MAX_NOTE_SIGNATURES} signatures`);
    if (!l.startsWith('\u2014 ')) fail('a signature line does not start with an em dash');
    const line = l.slice(2);
    const sp = line.indexOf(' ');
    if (sp < 0) fail('a signature line has no signature');
    const name = line.slice(0, sp);
    if (!validName(name)) fail(`bad key name ${JSON.stringify(name)}`);
    const raw = b64(line.slice(sp + 1), 'a note signature');
    if (raw.length < 5) fail('a note signature is too short');
    sigs.push({ name, keyId: u32(raw, 0), sig: raw.slice(4) });
  }
  if (sigs.length === 0) fail('no signatures');
  // The checkpoint (crates/log/src/checkpoint.rs).
  const lines = body.slice(0, -1).split('\n');
  if (!lines[0]) fail('checkpoint: empty origin');
  if (lines.length < 2 || !/^(0|[1-9][0-9]*)$/.test(lines[1])) fail('checkpoint: size must be decimal without leading zeroes');
  if (BigInt(lines[1]) > 0xffffffffffffffffn) fail('checkpoint: size out of range');
  if (lines.length < 3) fail('checkpoint: no root line');
  const root = b64(lines[2], 'the checkpoint root');
  if (root.length !== 32) fail('checkpoint: root must be base64 of 32 bytes');
  if (lines.slice(3).some((l) => l === '')) fail('checkpoint: extension lines must be non-empty');
  return { body, sigs, origin: lines[0], size: Number(lines[1]), root };
}
// name+hex(key id)+base64(type || key), as VerifierKey::parse.
function parseVkey(vkey) {
  if (typeof vkey !== 'string') fail('a verifier key is not a string');
  const a = vkey.indexOf('+');
  const b = a < 0 ? -1 : vkey.indexOf('+', a + 1);
  if (b < 0) fail('a verifier key is not name+id+key');
  const [name, hexId, key] = [vkey.slice(0, a), vkey.slice(a + 1, b), vkey.slice(b + 1)];
  if (!validName(name) || !/^[0-9a-f]{8}$/.test(hexId)) fail('a verifier key has a bad name or key id');
  const raw = b64(key, 'a verifier key');
  if (raw.length < 1) fail('a verifier key is empty');
  if (raw[0] !== 0x01 && raw[0] !== 0x04) fail(`a verifier key has the unsupported signature type ${raw[0]}`);
  if (raw.length !== 33) fail('an Ed25519 verifier key is 32 bytes');
  const pub = raw.slice(1);
  const keyId = parseInt(hexId, 16) >>> 0;
  if (keyId !== noteKeyId(name, raw[0], pub)) fail("a verifier key's id does not match the key");
  if (!isPoint(pub)) fail('a verifier key is not an Ed25519 point');
  return { name, keyId, alg: raw[0], pub };
}
function noteKeyId(name, alg, pub) {
  return u32(sha256(concat(enc.encode(name), new Uint8Array([0x0a, alg]), pub)), 0);
}
// The relay's signature (note.verify with the relay's key alone).
function signedBy(note, k) {
  const mine = note.sigs.filter((s) => s.name === k.name && s.keyId === k.keyId);
  return mine.length > 0 && mine.every((s) => s.sig.length === 64 && verifySig(s.sig, enc.encode(note.body), k.pub));
}
// CosignatureVerifier::verify on one signature line: null if the line is
// not this key's, else whether it verifies (a time from 1 to 2^63 - 1).
function cosignature(note, s, name, pub) {
  if (s.name !== name || s.keyId !== noteKeyId(name, 0x04, pub)) return null;
  if (s.sig.length !== 72) return false;
  const ts = (BigInt(u32(s.sig, 0)) << 32n) | BigInt(u32(s.sig, 4));
  if (ts === 0n || ts > 0x7fffffffffffffffn) return false;
  return verifySig(s.sig.slice(8), enc.encode(`cosignature/v1\ntime ${ts}\n${note.body}`), pub);
}
const cosignatureFails = (note, name, pub) => note.sigs.some((s) => cosignature(note, s, name, pub) === false);
const cosignedBy = (note, name, pub) => note.sigs.some((s) => cosignature(note, s, name, pub) === true);

// C2SP tlog-proof (crates/disclosure/src/proof.rs).
function parseProof(text) {
  const i = text.indexOf('\n\n');
  if (i < 0) fail('no empty line before the checkpoint');
  const lines = text.slice(0, i).split('\n');
  if (lines.shift() !== 'c2sp.org/tlog-proof@v1') fail('the first line is not c2sp.org/tlog-proof@v1');
  if (lines[0] !== undefined && lines[0].startsWith('extra ')) b64(lines.shift().slice(6), 'the extra line');
  const m = /^index (0|[1-9][0-9]*)$/.exec(lines.shift() ?? '');
  if (!m || BigInt(m[1]) > 0xffffffffffffffffn) fail('no index line, or the index is not a canonical decimal number');
  const hashes = lines.map((l) => { const h = b64(l, 'a proof hash'); if (h.length !== 32) fail('a proof hash is not 32 bytes'); return h; });
  return { index: Number(m[1]), hashes, checkpoint: text.slice(i + 2) };
}

const ascending = (v) => v.every((x, i) => i === 0 || v[i - 1] < x);
const U64S = TY.arr(TY.u64);
const STRS = TY.arr(TY.str);
const TERMS = {
  'hotline.disclosure-request': { type: [TY.str, 'req'], v: [TY.u8, 'req'], purpose: [TY.str, 'req'], cases: [STRS, 'req'], redact: [STRS, 'req'], as_of: [TY.u64, 'req'], entries: [U64S, 'req'], rosters: [U64S, 'req'] },
  'hotline.disclosure-consent': { type: [TY.str, 'req'], v: [TY.u8, 'req'], request: [TY.str, 'req'], entries: [U64S, 'req'], rosters: [U64S, 'req'] },
  'hotline.disclosure-refusal': { type: [TY.str, 'req'], v: [TY.u8, 'req'], request: [TY.str, 'req'], reason: [TY.str, 'req'] },
};
// crates/disclosure/src/terms.rs.
function parseTerms(body, type) {
  const t = shape(strictJson(dec.decode(body), 'the terms'), TERMS[type], 'the terms');
  if (t.type !== type || t.v !== 1) fail(`type ${JSON.stringify(t.type)} version ${t.v}, expected ${type} version 1`);
  if (type === 'hotline.disclosure-request') {
    if (t.cases.length === 0 || t.cases.length > 64 || new Set(t.cases).size !== t.cases.length) fail('the cases are not 1 to 64 distinct ids');
    t.cases.forEach((c) => unhex(c, 16, 'a case id'));
    t.redactions = t.redact.map(parseRedaction);
  } else unhex(t.request, 32, 'the request');
  if (type !== 'hotline.disclosure-refusal' && (!ascending(t.entries) || !ascending(t.rosters))) fail('entry and roster indices must ascend without repeats');
  return t;
}
// A redaction covers a part by its kind (from the header's layout), a body
// part by its language (body:LANG), or a part by its position.
function parseRedaction(s) {
  if (s === 'body' || s === 'attachment' || s === 'stix') return (i, p, kind) => kind === s;
  if (s.startsWith('body:')) {
    const lang = s.slice(5);
    if (!isLanguageTag(lang)) fail(`redaction ${JSON.stringify(s)}: ${JSON.stringify(lang)} is not a BCP 47 language tag`);
    return (i, p, kind, l) => kind === 'body' && l !== null && asciiLower(l) === asciiLower(lang);
  }
  const m = /^(0|[1-9][0-9]*):([1-9][0-9]*)$/.exec(s);
  if (!m || BigInt(m[1]) > 0xffffffffffffffffn || BigInt(m[2]) > 0xffffffffffffffffn) fail(`redaction ${JSON.stringify(s)} is not body, body:LANG, attachment, stix or ENTRY:PART`);
  return (i, p) => i === Number(m[1]) && p === Number(m[2]);
}

const PART_KINDS = { 1: 'header', 2: 'body', 3: 'attachment', 4: 'stix' };
const ATTACHMENT = { name: [TY.str, 'req'], media_type: [TY.str, 'req'], size: [TY.u64, 'req'], sha256: [TY.str, 'req'] };
// The inner header (crates/core/src/message.rs InnerHeader).
const HEADER = {
  v: [TY.u8, 'req'], channel: [hexId(16), 'req'], id: [hexId(16), 'req'], case: [hexId(16), 'req'], kind: [oneOf(KINDS), 'req'],
  author: [hexId(32), 'req'], party: [hexId(32), 'req'], created: [TY.str, 'req'], to: [TY.arr(hexId(32)), 'req'],
  refs: [TY.arr(hexId(16)), 'opt'], title: [TY.str, 'req'], tlp: [oneOf(TLPS), 'req'], norm: [oneOf(NORMS), 'nullable'],
  lang: [TY.str, 'req'], other_langs: [STRS, 'opt'], authentic: [STRS, 'opt'],
  attachments: [Array.isArray, 'opt'], stix: [TY.bool, 'opt'], nonce: [TY.str, 'req'],
};
// BCP 47 tags as crates/core/src/message.rs is_language_tag accepts them,
// compared in ASCII case only (never Unicode case folding, which would
// make the Kelvin sign a k).
const isLanguageTag = (s) => s.length <= 35 && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(s);
const asciiLower = (s) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
// InnerHeader::check_langs.
function checkLangs(h) {
  const langs = [h.lang, ...h.other_langs];
  if (langs.length > 16) fail('its header: more than 16 languages');
  langs.forEach((l, i) => {
    if (!isLanguageTag(l)) fail(`its header: ${JSON.stringify(l)} is not a BCP 47 language tag`);
    if (langs.slice(0, i).some((e) => asciiLower(e) === asciiLower(l))) fail(`its header: language ${JSON.stringify(l)} is given twice`);
  });
  h.authentic.forEach((a, i) => {
    if (!langs.some((l) => asciiLower(l) === asciiLower(a))) fail(`its header: authentic names ${JSON.stringify(a)}, which is not one of the body's languages`);
    if (h.authentic.slice(0, i).some((e) => asciiLower(e) === asciiLower(a))) fail(`its header: authentic names ${JSON.stringify(a)} twice`);
  });
  if (langs.length > 1 && h.authentic.length === 0) fail('its header: a body in several languages must say which are authentic');
  return langs;
}
const isAuthentic = (h, lang) => (h.other_langs.length === 0 && h.authentic.length === 0
  ? asciiLower(h.lang) === asciiLower(lang)
  : h.authentic.some((a) => asciiLower(a) === asciiLower(lang)));
function parseHeader(bytes) {
  if (bytes.length > 64 * 1024) fail('its header is too large');
  const h = shape(strictJson(dec.decode(bytes), 'its header'), HEADER, 'its header');
  h.refs = h.refs || [];
  h.attachments = h.attachments || [];
  h.attachments.forEach((a) => shape(a, ATTACHMENT, 'an attachment'));
  h.stix = h.stix || false;
  h.other_langs = h.other_langs || [];
  h.authentic = h.authentic || [];
  return h;
}

function checkMessage(dir, channel, index, e, wire) {
  if (e.channel !== channel) fail('an envelope of another channel');
  if (e.suite !== dir.charter.suite) fail(`an envelope of suite ${e.suite}, not the channel's (${dir.charter.suite})`);
  const signer = dir.signerAt(e.sender, index);
  if (!signer) fail("its sender was not a member of a party's roster at that index");
  if (!verifySig(e.sig, pae(HEAD_TYPE, e.head), signer.member.pub)) fail('its signature does not verify');
  if (!Array.isArray(wire)) fail('its message parts are missing');
  const parts = wire.map((w, i) => {
    if (!PART_KINDS[w.tag]) fail(`part ${i}: unknown tag ${w.tag}`);
    if (w.salt !== undefined && w.content !== undefined && w.redacted === undefined) {
      const salt = b64(w.salt, `part ${i} salt`);
      if (salt.length !== 32) fail(`part ${i}: the salt is not 32 bytes of base64`);
      const content = b64(w.content, `part ${i} content`);
      return { tag: w.tag, open: true, content, leaf: sha256(concat(new Uint8Array([0, w.tag]), salt, content)) };
    }
    if (w.salt === undefined && w.content === undefined && w.redacted !== undefined) {
      const leaf = b64(w.redacted, `part ${i} hash`);
      if (leaf.length !== 32) fail(`part ${i}: the redacted hash is not 32 bytes of base64`);
      return { tag: w.tag, open: false, leaf };
    }
    fail(`part ${i}: give salt and content (open) or redacted (a stub), not both or neither`);
  });
  if (parts.length === 0 || parts.length > 256 || !eq(merkleRoot(parts.map((p) => p.leaf)), e.commitment)) fail('the parts do not match the signed commitment');
  if (!parts[0].open || parts[0].tag !== 1) fail('its header part is not open');
  const h = parseHeader(parts[0].content);
  if (h.channel !== channel || h.author !== e.sender || h.party !== signer.party) fail('its inner header names another channel, author or party');
  const langs = checkLangs(h);
  // Each part's kind comes from the header's layout (header, the body in
  // each language, the attachments it lists, the STIX bundle if it says
  // so), never from a stub's own tag.
  const layout = ['header', ...langs.map(() => 'body'), ...h.attachments.map(() => 'attachment'), ...(h.stix ? ['stix'] : [])];
  if (parts.length !== layout.length) fail(`it has ${parts.length} parts where its header's layout has ${layout.length}`);
  parts.forEach((p, i) => {
    if (PART_KINDS[p.tag] !== layout[i]) fail(`part ${i} is ${p.open ? 'an open part' : 'a stub'} tagged ${PART_KINDS[p.tag]} where its header's layout has the ${layout[i]}`);
    p.kind = layout[i];
    p.lang = p.kind === 'body' ? langs[i - 1] : null;
  });
  parts.forEach((p, i) => {
    if (p.kind === 'attachment' && p.open) {
      const meta = h.attachments[i - 1 - langs.length];
      if (meta.sha256 !== hex(sha256(p.content)) || meta.size !== p.content.length) fail(`attachment ${JSON.stringify(meta.name)} does not match its description`);
    }
  });
  const body = parts[1].open ? parts[1].content : null;
  const texts = langs.map((lang, k) => ({ lang, authentic: isAuthentic(h, lang), body: parts[k + 1].open ? lossy.decode(parts[k + 1].content) : null }));
  return { index, h, parts, body, texts };
}

const BUNDLE = {
  type: [TY.str, 'req'], v: [TY.u8, 'req'], created: [TY.str, 'req'], checkpoint: [TY.str, 'req'], entries: [Array.isArray, 'req'],
  request: [TY.u64, 'req'], consents: [U64S, 'req'], refusals: [U64S, 'req'], missing_consents: [STRS, 'req'],
};
const ENTRY = { index: [TY.u64, 'req'], entry: [TY.str, 'req'], proof: [TY.str, 'req'], parts: [Array.isArray, 'nullable'] };
// A stub's or open part's fields may be absent, never null.
const WIRE_PART = { tag: [TY.u8, 'req'], salt: [TY.str, 'opt'], content: [TY.str, 'opt'], redacted: [TY.str, 'opt'] };

export function verifyBundle(bytes) {
  const checks = [];
  const report = { verdict: 'invalid', checks, channel: null, checkpoint: null, purpose: null, parties: [], messages: [], missing_consents: [] };
  const add = (what, fn) => {
    try { checks.push({ what, ok: true, detail: fn() }); return true; } catch (e) {
      if (!(e instanceof Fail)) e = new Fail(String(e && e.message ? e.message : e));
      checks.push({ what, ok: false, detail: e.message }); return false;
    }
  };
  const finish = () => {
    report.verdict = checks.every((c) => c.ok)
      ? (report.missing_consents.length === 0 && !report.parties.some((p) => p.refused) ? 'valid' : 'not-consented')
      : 'invalid';
    return report;
  };
  let b;
  if (!add('the bundle is a disclosure bundle', () => {
    // crates/disclosure/src/lib.rs: Bundle, BundleEntry, WirePart.
    b = shape(strictJson(dec.decode(bytes), 'the bundle'), BUNDLE, 'the bundle');
    for (const e of b.entries) {
      shape(e, ENTRY, 'an entry');
      for (const w of e.parts || []) shape(w, WIRE_PART, 'a part');
    }
    if (b.type !== BUNDLE_TYPE || b.v !== 1) fail(`type ${JSON.stringify(b.type)} version ${b.v}`);
    return `${b.entries.length} entries, exported ${b.created}`;
  })) return finish();
  let note;
  if (!add('the checkpoint parses', () => { note = parseNote(b.checkpoint); return `size ${note.size}`; })) return finish();
  checks.pop();
  report.checkpoint = [note.origin, note.size];
  const entries = new Map();
  add('the entries are in order', () => {
    let last = -1, err = null;
    const decoded = [];
    for (const e of b.entries) {
      if (e.index <= last || e.index >= note.size) err = `entry ${e.index} is out of order, repeated, or beyond the checkpoint's size ${note.size}`;
      last = e.index;
      try { decoded.push([e.index, { bytes: b64(e.entry, `entry ${e.index}`), e }]); } catch (x) { err = x.message; }
    }
    // In index order, a repeated index holding the last of its entries.
    const byIndex = new Map(decoded);
    for (const i of [...byIndex.keys()].sort((x, y) => x - y)) entries.set(i, byIndex.get(i));
    if (err) fail(err);
    return `indices ascend, all below the checkpoint's size ${note.size}`;
  });

  let charter, channel;
  if (!add('the charter is signed by every party', () => {
    const z = entries.get(0);
    if (!z) fail('entry 0 (the charter) is missing');
    const e = parseEntry(z.bytes);
    if (e.kind !== 'charter') fail('entry 0 is not a charter');
    ({ c: charter, channel } = verifyCharter(e.doc));
    return `${charter.title} (${charter.parties.length} parties)`;
  })) return finish();
  report.channel = charter.title;
  const short = (id) => (charter.parties.find((p) => p.id === id) || { short: id.slice(0, 16) }).short;

  add("the checkpoint is the relay's, for this channel", () => {
    let relay;
    try { relay = parseVkey(charter.relay.key); } catch (x) { fail(`the charter's relay key: ${x.message}`); }
    if (relay.alg !== 1) fail("the charter's relay key: not an Ed25519 note key (type 0x01)");
    const origin = `${charter.relay.key.split('+')[0]}/${channel}`;
    if (note.origin !== origin) fail(`its origin is ${JSON.stringify(note.origin)}, not this channel's ${JSON.stringify(origin)}`);
    if (!signedBy(note, relay)) fail('it is not signed by the relay key the charter names');
    return `size ${note.size}, origin ${note.origin}`;
  });
  add("the charter's witnesses cosigned the checkpoint", () => {
    const n = (charter.witnesses || []).filter((w) => { try { const k = parseVkey(w.key); return k.alg === 4 && cosignedBy(note, k.name, k.pub); } catch { return false; } }).length;
    if (n < charter.witness_quorum) fail(`only ${n} of the ${charter.witness_quorum} witness cosignatures the charter requires`);
    return `${n} of ${(charter.witnesses || []).length} witnesses (quorum ${charter.witness_quorum})`;
  });
  add('every entry is in the log (inclusion proofs)', () => {
    const bad = [];
    for (const [index, { bytes: eb, e }] of entries) {
      try {
        const p = parseProof(e.proof);
        if (p.index !== index) fail(`it names index ${p.index}`);
        if (p.checkpoint !== b.checkpoint) fail("it carries another checkpoint than the bundle's");
        if (!verifyInclusion(index, note.size, leafHash(eb), p.hashes, note.root)) fail('the proof does not lead to the checkpoint root');
      } catch (err) { bad.push(`entry ${index}: ${err.message}`); }
    }
    if (bad.length) fail(bad.join('; '));
    return `${entries.size} proofs verified against the checkpoint`;
  });

  const dir = new Directory(charter, channel);
  const rosters = [];
  const msgs = new Map();
  add('every message is signed by a member of its party and matches its commitment', () => {
    const bad = [];
    for (const [index, { bytes: eb, e }] of entries) {
      if (index === 0) continue;
      try {
        const en = parseEntry(eb);
        if (en.kind === 'roster') { rosters.push(index); dir.apply(index, en.doc); }
        else if (en.kind === 'head') msgs.set(index, checkMessage(dir, channel, index, en, e.parts));
        else if (en.kind === 'time') fail('a time attestation, which a bundle does not disclose');
        else fail('a second charter');
      } catch (err) { bad.push(`entry ${index}: ${err.message}`); }
    }
    if (bad.length) fail(bad.join('; '));
    return `${rosters.length} rosters applied, ${msgs.size} messages verified`;
  });

  // The relay deduplicates re-posts: the same entry, or the same message,
  // logged twice is history replayed.
  add('no entry or message is logged twice (no replayed history)', () => {
    const bad = [];
    const leaves = new Map();
    for (const [index, { bytes: eb }] of entries) {
      const h = hex(leafHash(eb));
      if (leaves.has(h)) bad.push(`entry ${index} repeats entry ${leaves.get(h)}`);
      else leaves.set(h, index);
    }
    const ids = new Map();
    for (const m of msgs.values()) {
      if (ids.has(m.h.id)) bad.push(`entry ${m.index} repeats the message ${m.h.id} of entry ${ids.get(m.h.id)}`);
      else ids.set(m.h.id, m.index);
    }
    if (bad.length) fail(bad.join('; '));
    return `${leaves.size} distinct entries, ${ids.size} distinct messages`;
  });

  add('every cosignature on the checkpoint by a known key verifies', () => {
    const known = [];
    for (const w of charter.witnesses || []) { try { const k = parseVkey(w.key); if (k.alg === 4) known.push([k.name, k.pub]); } catch { /* not a cosigner key */ } }
    try { const r = parseVkey(charter.relay.key); if (r.alg === 1) known.push([r.name, r.pub]); } catch { /* checked above */ }
    for (const h of dir.hist) for (const v of h) for (const m of v.members) known.push([m.id, m.pub]);
    const forged = note.sigs.filter((s) => known.some(([name, pub]) => cosignatureFails({ ...note, sigs: [s] }, name, pub))).map((s) => s.name);
    if (forged.length) fail(`the signature of ${forged.join(', ')} does not verify`);
    return `${note.sigs.length} signature line(s)`;
  });

  let req, terms;
  if (!add('the disclosure request', () => {
    req = msgs.get(b.request);
    if (!req) fail(`the request (entry ${b.request}) is not a verified message of the bundle`);
    if (req.h.kind !== 'disclosure-request') fail(`entry ${b.request} is a ${req.h.kind}, not a disclosure request`);
    if (!req.body) fail("the request's body is redacted");
    terms = parseTerms(req.body, 'hotline.disclosure-request');
    return `${terms.cases.length} case(s): ${terms.purpose}`;
  })) return finish();
  report.purpose = terms.purpose;
  const requestLeaf = hex(leafHash(entries.get(b.request).bytes));
  const required = new Set();
  add("every disclosed case's opening message is present", () => {
    const missing = [];
    for (const c of terms.cases) {
      const m = [...msgs.values()].find((x) => KINDS_OPENING.includes(x.h.kind) && x.h.id === c);
      if (m) { required.add(m.h.party); (m.h.to || []).forEach((p) => required.add(p)); } else missing.push(c);
    }
    if (missing.length) fail(`missing the opening of case(s) ${missing.join(', ')}`);
    return `${terms.cases.length} case(s)`;
  });
  const consented = new Set([req.h.party]);
  const refused = new Set();
  const listings = [[`${short(req.h.party)}'s request`, terms.entries, terms.rosters]];
  add('the consents and refusals answer this request', () => {
    const bad = [];
    for (const [list, kind] of [[b.consents, 'disclosure-consent'], [b.refusals, 'disclosure-refusal']]) {
      for (const i of list) {
        try {
          const m = msgs.get(i);
          if (!m) fail('it is not a verified message of the bundle');
          if (m.h.kind !== kind) fail(`it is a ${m.h.kind}, not a ${kind}`);
          if (!m.body) fail('its body is redacted');
          const t = kind === 'disclosure-consent'
            ? parseTerms(m.body, 'hotline.disclosure-consent')
            : parseTerms(m.body, 'hotline.disclosure-refusal');
          if (t.request !== requestLeaf) fail("it answers another request than this bundle's");
          if (!required.has(m.h.party)) fail(`${short(m.h.party)} is not a party of the disclosed cases`);
          if (kind === 'disclosure-consent') { consented.add(m.h.party); listings.push([`${short(m.h.party)}'s consent`, t.entries, t.rosters]); } else refused.add(m.h.party);
        } catch (err) { bad.push(`entry ${i}: ${err.message}`); }
      }
    }
    if (bad.length) fail(bad.join('; '));
    return `${b.consents.length} consent(s), ${b.refusals.length} refusal(s)`;
  });
  const caseMsgs = [...msgs.values()].filter((m) => !DISCLOSURE_KINDS.includes(m.h.kind) && terms.cases.includes(m.h.case));
  const present = caseMsgs.map((m) => m.index);
  add('no entry of the cases is omitted (completeness)', () => {
    const bad = [];
    if (terms.as_of > b.request) bad.push(`the request lists the log as of size ${terms.as_of}, after the request itself`);
    for (const i of present.filter((x) => x >= terms.as_of)) bad.push(`entry ${i} was logged after the request's listing (as of size ${terms.as_of}), which it does not cover`);
    const listedRosters = new Set();
    for (const [who, listed, rs] of listings) {
      for (const i of listed.filter((x) => !present.includes(x))) bad.push(`entry ${i}, listed in ${who}, is not in the bundle`);
      for (const i of present.filter((x) => !listed.includes(x))) bad.push(`entry ${i} is in the bundle but not listed in ${who}`);
      for (const i of rs.filter((x) => !rosters.includes(x))) bad.push(`the roster at entry ${i}, listed in ${who}, is not in the bundle`);
      rs.forEach((x) => listedRosters.add(x));
    }
    for (const i of rosters.filter((x) => !listedRosters.has(x))) bad.push(`the roster at entry ${i} is in the bundle but listed by no party`);
    if (bad.length) fail(bad.join('; '));
    return `${present.length} messages, as listed by ${listings.length} part(ies)`;
  });
  add('exactly the agreed parts are redacted', () => {
    const bad = [];
    for (const m of caseMsgs) {
      m.parts.forEach((p, i) => {
        const agreed = terms.redactions.some((r) => r(m.index, i, p.kind, p.lang));
        if (agreed && p.open) bad.push(`entry ${m.index} part ${i} is shown though the terms redact it`);
        else if (!p.open && !agreed) bad.push(`entry ${m.index} part ${i} is redacted beyond the terms`);
      });
    }
    if (bad.length) fail(bad.join('; '));
    return terms.redact.length ? `redacted: ${terms.redact.join(', ')}` : 'nothing redacted';
  });

  report.messages = caseMsgs.map((m) => ({
    index: m.index, kind: m.h.kind, case: m.h.case, party: short(m.h.party), title: m.h.title,
    body: m.body ? lossy.decode(m.body) : null, texts: m.texts, redacted_parts: m.parts.filter((p) => !p.open).length,
  }));
  const receipts = new Set(dir.current().filter(({ m }) => cosignedBy(note, m.id, m.pub)).map(({ party }) => party));
  report.parties = charter.parties.map((p) => ({
    short: p.short, name: p.name, required: required.has(p.id), consented: consented.has(p.id), refused: refused.has(p.id), receipt: receipts.has(p.id),
  }));
  report.missing_consents = charter.parties.filter((p) => required.has(p.id) && !consented.has(p.id)).map((p) => p.short);
  add('the bundle states the missing consents truthfully', () => {
    if (JSON.stringify(b.missing_consents) !== JSON.stringify(report.missing_consents)) fail(`it states ${JSON.stringify(b.missing_consents)} missing, but ${JSON.stringify(report.missing_consents)} are`);
    return b.missing_consents.length ? `it says consents are missing: ${b.missing_consents.join(', ')}` : 'it claims every consent, and has them';
  });
  return finish();
}

export { b64e as _b64encodeForTests };
