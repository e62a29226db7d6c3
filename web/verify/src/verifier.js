// The offline verifier of Hotline disclosure bundles (docs/disclosure.md §3),
// in JavaScript, for verify.html. It mirrors crates/disclosure/src/verify.rs
// check for check, with the audited noble libraries for SHA-256 and Ed25519
// (strict RFC 8032). Pure: bytes in, a report out; nothing is fetched.

import * as ed from '@noble/ed25519';
import { sha256, sha512 } from '@noble/hashes/sha2.js';

ed.hashes.sha512 = sha512;

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

export const BUNDLE_TYPE = 'hotline.disclosure-bundle';
const CHARTER_TYPE = 'application/vnd.hotline.charter+json';
const ROSTER_TYPE = 'application/vnd.hotline.roster+json';
const HEAD_TYPE = 'application/vnd.hotline.envelope-head.v1';
const MAGIC = { charter: [0x48, 0x4c, 0x43, 0x01], roster: [0x48, 0x4c, 0x52, 0x01], head: [0x48, 0x4c, 0x45, 0x01] };
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

function verifySig(sig, msg, pub) {
  try { return ed.verify(sig, msg, pub, { zip215: false }); } catch { return false; }
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

function strictJson(text, what) {
  try { return JSON.parse(text); } catch (e) { fail(`${what} does not parse: ${e.message}`); }
}
function only(obj, fields, what) {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) fail(`${what} is not an object`);
  for (const k of Object.keys(obj)) if (!fields.includes(k)) fail(`${what} has an unknown field ${JSON.stringify(k)}`);
}

// DSSE documents (docs/format.md §3).
function parseDsse(bytes, what) {
  const d = strictJson(dec.decode(bytes), what);
  only(d, ['payloadType', 'payload', 'signatures'], what);
  const payload = b64(d.payload, `${what} payload`);
  const seen = new Set();
  const sigs = (d.signatures || []).map((s) => {
    only(s, ['keyid', 'sig'], `${what} signature`);
    unhex(s.keyid, 32, 'a key id');
    if (seen.has(s.keyid)) fail(`${what}: duplicate signer`);
    seen.add(s.keyid);
    const sig = b64(s.sig, 'a signature');
    if (sig.length !== 64) fail('a signature is not 64 bytes');
    return { keyid: s.keyid, sig };
  });
  return { type: d.payloadType, payload, sigs };
}
function verifiedBy(doc, pub) {
  const id = hex(keyId('ed25519', pub));
  const s = doc.sigs.find((x) => x.keyid === id);
  return !!s && verifySig(s.sig, pae(doc.type, doc.payload), pub);
}

function parseEntry(bytes) {
  const m = Array.from(bytes.slice(0, 4));
  if (eq(m, MAGIC.charter)) return { kind: 'charter', doc: parseDsse(bytes.slice(4), 'the charter') };
  if (eq(m, MAGIC.roster)) return { kind: 'roster', doc: parseDsse(bytes.slice(4), 'a roster') };
  if (eq(m, MAGIC.head)) {
    if (bytes.length !== SIGNED_HEAD_LEN) fail('an envelope head is not 241 bytes');
    if (bytes[4] !== 1) fail('unknown suite');
    return {
      kind: 'head',
      head: bytes.slice(0, 177),
      channel: hex(bytes.slice(5, 21)),
      sender: hex(bytes.slice(21, 53)),
      commitment: bytes.slice(69, 101),
      sig: bytes.slice(177, 241),
    };
  }
  fail('not a log entry (unknown magic)');
}

function verifyCharter(doc) {
  if (doc.type !== CHARTER_TYPE) fail('entry 0 is not a charter');
  const c = strictJson(dec.decode(doc.payload), 'the charter');
  if (c.v !== 1) fail(`unsupported charter version ${c.v}`);
  if (!Array.isArray(c.parties) || c.parties.length < 2) fail('a charter names at least two parties');
  for (const p of c.parties) {
    const pub = b64(p.key, `party ${p.short}'s key`);
    if (pub.length !== 32) fail(`party ${p.short}'s key is not 32 bytes`);
    if (hex(keyId('ed25519', pub)) !== p.id) fail(`party ${p.short}: id does not match its key`);
    if (!verifiedBy(doc, pub)) fail(`the charter is not signed by ${p.short}`);
    p.pub = pub;
  }
  for (const s of doc.sigs) if (!c.parties.some((p) => p.id === s.keyid)) fail('the charter carries a signature of a key that is not a party');
  const channel = hex(sha256(concat(enc.encode('hotline/channel/v1\0'), doc.payload)).slice(0, 16));
  return { c, channel };
}

// The roster directory (crates/core/src/roster.rs, docs/format.md §3.2):
// every rule of Roster::parsed_members and Directory::apply. Keys are
// compared as their raw 32 bytes, whatever their kind.
const MEMBER_PROOF_TYPE = 'application/vnd.hotline.member-proof.v1';
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
      if (encKey.length !== 32) fail('an encryption key is not 32 bytes');
      if (m.proof === undefined || m.proof === '') fail(`${who}: it carries no proof of possession`);
      const proof = b64(m.proof, 'a member proof');
      if (proof.length !== 64) fail(`${who}: its proof of possession is not a 64-byte signature`);
      const statement = pae(MEMBER_PROOF_TYPE, concat(channelBytes, partyBytes, pub, encKey, enc.encode(m.name)));
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

// Signed notes and cosignatures (C2SP signed-note, tlog-cosignature).
function parseNote(text) {
  const i = text.lastIndexOf('\n\n');
  if (i < 0 || !text.endsWith('\n')) fail('the checkpoint is not a signed note');
  const body = text.slice(0, i + 1);
  const sigs = text.slice(i + 2, -1).split('\n').map((l) => {
    const m = /^\u2014 (\S+) (\S+)$/.exec(l);
    if (!m) fail('a signature line is malformed');
    const raw = b64(m[2], 'a note signature');
    if (raw.length < 5) fail('a note signature is too short');
    return { name: m[1], keyId: u32(raw, 0), sig: raw.slice(4) };
  });
  const lines = body.split('\n');
  if (lines.length < 4) fail('the checkpoint body is too short');
  if (!/^(0|[1-9][0-9]*)$/.test(lines[1])) fail('the checkpoint size is not a number');
  const root = b64(lines[2], 'the checkpoint root');
  if (root.length !== 32) fail('the checkpoint root is not 32 bytes');
  return { body, sigs, origin: lines[0], size: Number(lines[1]), root };
}
function parseVkey(vkey) {
  // name+hex(key id)+base64(type || key): the base64 may hold '+' too.
  const m = /^([^+\s]+)\+([0-9a-f]{8})\+(.+)$/.exec(vkey);
  if (!m) fail('a verifier key is malformed');
  const raw = b64(m[3], 'a verifier key');
  if (raw.length !== 33) fail('a verifier key is not a type byte and 32 bytes');
  return { name: m[1], keyId: parseInt(m[2], 16) >>> 0, alg: raw[0], pub: raw.slice(1) };
}
function noteKeyId(name, alg, pub) {
  return u32(sha256(concat(enc.encode(name), new Uint8Array([0x0a, alg]), pub)), 0);
}
function signedBy(note, vkey) {
  const k = parseVkey(vkey);
  const mine = note.sigs.filter((s) => s.name === k.name && s.keyId === k.keyId);
  return mine.length > 0 && mine.every((s) => s.sig.length === 64 && verifySig(s.sig, enc.encode(note.body), k.pub));
}
function cosignatureFails(note, name, pub) {
  const id = noteKeyId(name, 0x04, pub);
  return note.sigs.some((s) => s.name === name && s.keyId === id && !cosignedBy({ ...note, sigs: [s] }, name, pub));
}
function cosignedBy(note, name, pub) {
  const id = noteKeyId(name, 0x04, pub);
  return note.sigs.some((s) => {
    if (s.name !== name || s.keyId !== id || s.sig.length !== 72) return false;
    const ts = (BigInt(u32(s.sig, 0)) << 32n) | BigInt(u32(s.sig, 4));
    if (ts === 0n) return false;
    return verifySig(s.sig.slice(8), enc.encode(`cosignature/v1\ntime ${ts}\n${note.body}`), pub);
  });
}

function parseProof(text) {
  const i = text.indexOf('\n\n');
  if (i < 0) fail('no empty line before the checkpoint');
  const lines = text.slice(0, i).split('\n');
  if (lines.shift() !== 'c2sp.org/tlog-proof@v1') fail('the first line is not c2sp.org/tlog-proof@v1');
  if (lines[0] && lines[0].startsWith('extra ')) lines.shift();
  const m = /^index (0|[1-9][0-9]*)$/.exec(lines.shift() || '');
  if (!m) fail('no index line');
  const hashes = lines.map((l) => { const h = b64(l, 'a proof hash'); if (h.length !== 32) fail('a proof hash is not 32 bytes'); return h; });
  return { index: Number(m[1]), hashes, checkpoint: text.slice(i + 2) };
}

const ascending = (v) => Array.isArray(v) && v.every((x, i) => Number.isSafeInteger(x) && x >= 0 && (i === 0 || v[i - 1] < x));

function parseTerms(body, type, fields) {
  const t = strictJson(dec.decode(body), 'the terms');
  only(t, fields, 'the terms');
  if (t.type !== type || t.v !== 1) fail(`type ${JSON.stringify(t.type)} version ${t.v}, expected ${type} version 1`);
  return t;
}
function parseRedaction(s) {
  if (s === 'body') return (i, p, tag) => tag === 2;
  if (s === 'attachment') return (i, p, tag) => tag === 3;
  if (s === 'stix') return (i, p, tag) => tag === 4;
  const m = /^(0|[1-9][0-9]*):([1-9][0-9]*)$/.exec(s);
  if (!m) fail(`redaction ${JSON.stringify(s)} is not body, attachment, stix or ENTRY:PART`);
  return (i, p) => i === Number(m[1]) && p === Number(m[2]);
}

function checkMessage(dir, channel, index, e, wire) {
  if (e.channel !== channel) fail('an envelope of another channel');
  const signer = dir.signerAt(e.sender, index);
  if (!signer) fail("its sender was not a member of a party's roster at that index");
  if (!verifySig(e.sig, pae(HEAD_TYPE, e.head), signer.member.pub)) fail('its signature does not verify');
  if (!Array.isArray(wire)) fail('its message parts are missing');
  const parts = wire.map((w, i) => {
    if (![1, 2, 3, 4].includes(w.tag)) fail(`part ${i}: unknown tag ${w.tag}`);
    only(w, ['tag', 'salt', 'content', 'redacted'], `part ${i}`);
    if (w.salt !== undefined && w.content !== undefined && w.redacted === undefined) {
      const salt = b64(w.salt, `part ${i} salt`);
      if (salt.length !== 32) fail(`part ${i}: the salt is not 32 bytes`);
      const content = b64(w.content, `part ${i} content`);
      return { tag: w.tag, open: true, content, leaf: sha256(concat(new Uint8Array([0, w.tag]), salt, content)) };
    }
    if (w.salt === undefined && w.content === undefined && w.redacted !== undefined) {
      const leaf = b64(w.redacted, `part ${i} hash`);
      if (leaf.length !== 32) fail(`part ${i}: the redacted hash is not 32 bytes`);
      return { tag: w.tag, open: false, leaf };
    }
    fail(`part ${i}: give salt and content (open) or redacted (a stub)`);
  });
  if (parts.length === 0 || parts.length > 256 || !eq(merkleRoot(parts.map((p) => p.leaf)), e.commitment)) fail('the parts do not match the signed commitment');
  if (!parts[0].open || parts[0].tag !== 1) fail('its header part is not open');
  const h = strictJson(dec.decode(parts[0].content), 'its header');
  if (h.channel !== channel || h.author !== e.sender || h.party !== signer.party) fail('its inner header names another channel, author or party');
  let att = 0;
  for (const p of parts.slice(1)) {
    if (p.tag === 3) {
      if (p.open) {
        const meta = (h.attachments || [])[att];
        if (!meta) fail('more attachments than the header lists');
        if (meta.sha256 !== hex(sha256(p.content)) || meta.size !== p.content.length) fail(`attachment ${JSON.stringify(meta.name)} does not match its description`);
      }
      att++;
    }
  }
  const body = parts[1] && parts[1].open && parts[1].tag === 2 ? parts[1].content : null;
  return { index, h, parts, body };
}

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
    b = strictJson(dec.decode(bytes), 'the bundle');
    only(b, ['type', 'v', 'created', 'checkpoint', 'entries', 'request', 'consents', 'refusals', 'missing_consents'], 'the bundle');
    if (b.type !== BUNDLE_TYPE || b.v !== 1) fail(`type ${JSON.stringify(b.type)} version ${b.v}`);
    if (!Array.isArray(b.entries) || !Number.isSafeInteger(b.request) || !Array.isArray(b.consents) || !Array.isArray(b.refusals) || !Array.isArray(b.missing_consents)) fail('a field has the wrong type');
    return `${b.entries.length} entries, exported ${b.created}`;
  })) return finish();
  let note;
  if (!add('the checkpoint parses', () => { note = parseNote(b.checkpoint); return `size ${note.size}`; })) return finish();
  checks.pop();
  report.checkpoint = [note.origin, note.size];
  const entries = new Map();
  add('the entries are in order', () => {
    let last = -1, err = null;
    for (const e of b.entries) {
      only(e, ['index', 'entry', 'proof', 'parts'], 'an entry');
      if (!Number.isSafeInteger(e.index) || e.index <= last || e.index >= note.size) err = `entry ${e.index} is out of order, repeated, or beyond the checkpoint's size ${note.size}`;
      last = e.index;
      entries.set(e.index, { bytes: b64(e.entry, `entry ${e.index}`), e });
    }
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
    const origin = `${charter.relay.key.split('+')[0]}/${channel}`;
    if (note.origin !== origin) fail(`its origin is ${JSON.stringify(note.origin)}, not this channel's ${JSON.stringify(origin)}`);
    if (!signedBy(note, charter.relay.key)) fail('it is not signed by the relay key the charter names');
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
        else fail('a second charter');
      } catch (err) { bad.push(`entry ${index}: ${err.message}`); }
    }
    if (bad.length) fail(bad.join('; '));
    return `${rosters.length} rosters applied, ${msgs.size} messages verified`;
  });

  add('every cosignature on the checkpoint by a known key verifies', () => {
    const known = [];
    for (const w of charter.witnesses || []) { try { const k = parseVkey(w.key); if (k.alg === 4) known.push([k.name, k.pub]); } catch { /* not a cosigner key */ } }
    try { const r = parseVkey(charter.relay.key); known.push([r.name, r.pub]); } catch { /* checked above */ }
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
    terms = parseTerms(req.body, 'hotline.disclosure-request', ['type', 'v', 'purpose', 'cases', 'redact', 'as_of', 'entries', 'rosters']);
    if (!Array.isArray(terms.cases) || terms.cases.length === 0 || terms.cases.length > 64 || new Set(terms.cases).size !== terms.cases.length) fail('the cases are not 1 to 64 distinct ids');
    terms.cases.forEach((c) => unhex(c, 16, 'a case id'));
    terms.redactions = (terms.redact || []).map(parseRedaction);
    if (!ascending(terms.entries) || !ascending(terms.rosters) || !Number.isSafeInteger(terms.as_of)) fail('entry and roster indices must ascend without repeats');
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
            ? parseTerms(m.body, 'hotline.disclosure-consent', ['type', 'v', 'request', 'entries', 'rosters'])
            : parseTerms(m.body, 'hotline.disclosure-refusal', ['type', 'v', 'request', 'reason']);
          unhex(t.request, 32, 'the request');
          if (kind === 'disclosure-consent' && (!ascending(t.entries) || !ascending(t.rosters))) fail('entry and roster indices must ascend without repeats');
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
        const agreed = terms.redactions.some((r) => r(m.index, i, p.tag));
        if (agreed && p.open) bad.push(`entry ${m.index} part ${i} is shown though the terms redact it`);
        else if (!p.open && !agreed) bad.push(`entry ${m.index} part ${i} is redacted beyond the terms`);
      });
    }
    if (bad.length) fail(bad.join('; '));
    return terms.redact.length ? `redacted: ${terms.redact.join(', ')}` : 'nothing redacted';
  });

  report.messages = caseMsgs.map((m) => ({
    index: m.index, kind: m.h.kind, case: m.h.case, party: short(m.h.party), title: m.h.title,
    body: m.body ? dec.decode(m.body) : null, redacted_parts: m.parts.filter((p) => !p.open).length,
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
