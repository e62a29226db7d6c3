#!/usr/bin/env python3
"""An independent opener of Hotline envelopes, written from docs/format.md
alone, with PyNaCl (Ed25519, ChaCha20-Poly1305, X25519) and pyhpke (HPKE).

Opens every vector of tests/vectors/envelopes.json with every listed
opener, classifies the outcome (ok, not-a-recipient, signature,
body-mismatch, decrypt, commitment, malformed) and compares it with the
expected one; checks the selective openings. Prints
`open_envelopes: N passed, M failed`; exit status 1 on any failure."""

import hashlib
import json
import pathlib
import re
import struct
import sys

import nacl.bindings
import nacl.exceptions
import nacl.signing
from pyhpke import AEADId, CipherSuite, KDFId, KEMId

SUITE = CipherSuite.new(KEMId.DHKEM_X25519_HKDF_SHA256, KDFId.HKDF_SHA256, AEADId.CHACHA20_POLY1305)
HEAD_TYPE = b"application/vnd.hotline.envelope-head.v1"
HPKE_INFO = b"hotline/v1 content key"
MAGIC = b"HLE\x01"
HEADER_LEN, HEAD_LEN, SIGNED_HEAD_LEN, STANZA_LEN = 101, 177, 241, 112
CHUNK, TAG = 65536, 16
KINDS = {1: "header", 2: "body", 3: "attachment", 4: "stix"}


class Reject(Exception):
    def __init__(self, outcome, why):
        super().__init__(why)
        self.outcome = outcome


def sha256(b):
    return hashlib.sha256(b).digest()


def key_id(alg, public):  # §2
    return sha256(b"hotline/keyid/v1/" + alg + b"\x00" + public)


def pae(t, body):  # §3
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body)


def mth(leaves):  # §4.2, RFC 6962 over leaf hashes
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


def leaf_hash(tag, salt, content):
    return sha256(b"\x00" + bytes([tag]) + salt + content)


def decode_parts(pt):  # §4.2
    if len(pt) < 2:
        raise Reject("commitment", "plaintext too short")
    (count,), off, parts = struct.unpack(">H", pt[:2]), 2, []
    if not 1 <= count <= 256:
        raise Reject("commitment", "part count")
    for _ in range(count):
        if off + 37 > len(pt):
            raise Reject("commitment", "truncated part")
        tag, salt = pt[off], pt[off + 1 : off + 33]
        (n,) = struct.unpack(">I", pt[off + 33 : off + 37])
        off += 37
        if tag not in KINDS or n > 64 * 1024 * 1024 or off + n > len(pt):
            raise Reject("commitment", "bad part")
        parts.append((tag, salt, pt[off : off + n]))
        off += n
    if off != len(pt):
        raise Reject("commitment", "trailing plaintext")
    return parts


def stream_decrypt(key, aad, ct):  # §5.4
    chunks = [ct[i : i + CHUNK + TAG] for i in range(0, len(ct), CHUNK + TAG)]
    out = b""
    for i, c in enumerate(chunks):
        last = i == len(chunks) - 1
        nonce = b"\x00" * 3 + struct.pack(">Q", i) + (b"\x01" if last else b"\x00")
        try:
            p = nacl.bindings.crypto_aead_chacha20poly1305_ietf_decrypt(c, aad, nonce, key)
        except nacl.exceptions.CryptoError:
            raise Reject("decrypt", f"chunk {i}")
        if last and not p and i > 0:
            raise Reject("decrypt", "empty last chunk")
        out += p
    return out


def check_message(parts, channel, sender):  # §4.1, §4.3
    if len(parts) < 2 or parts[0][0] != 1 or parts[1][0] != 2:
        raise Reject("malformed", "parts 0 and 1 must be header and body")
    header = json.loads(parts[0][2])
    # §4.1: one more body part per entry of other_langs; §4.3: the tags
    # distinct (ASCII case), well formed, and which are authentic said.
    langs = [header["lang"]] + header.get("other_langs", [])
    authentic = header.get("authentic", [])
    lower = [l.encode().lower() for l in langs]
    if (
        len(langs) > 16
        or len(set(lower)) != len(lower)
        or not all(re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*", l) and len(l) <= 35 for l in langs)
        or any(a.encode().lower() not in lower for a in authentic)
        or len({a.encode().lower() for a in authentic}) != len(authentic)
        or (len(langs) > 1 and not authentic)
    ):
        raise Reject("malformed", "language fields")
    bodies = parts[2 : 1 + len(langs)]
    if len(bodies) != len(langs) - 1 or any(tag != 2 for tag, _, _ in bodies):
        raise Reject("malformed", "body parts do not match the header's languages")
    rest = parts[1 + len(langs) :]
    n = len(header.get("attachments", []))
    if len(rest) != n + (1 if header.get("stix", False) else 0):
        raise Reject("malformed", "part count does not match the header")
    for meta, (tag, _, content) in zip(header.get("attachments", []), rest):
        if tag != 3 or meta["size"] != len(content) or meta["sha256"] != sha256(content).hex():
            raise Reject("malformed", "attachment does not match the header")
    if header.get("stix", False) and rest[-1][0] != 4:
        raise Reject("malformed", "stix part missing")
    if header["channel"] != channel.hex() or header["author"] != sender.hex():
        raise Reject("malformed", "header contradicts the envelope")
    opens_case = header["kind"] in ("inquiry", "assistance", "warning", "deconfliction", "consultation")
    if opens_case != (header["case"] == header["id"]):
        raise Reject("malformed", "case rule")


def open_envelope(env, sender_public, recipient_secret):  # §5.3
    # 1. Layout.
    if len(env) < SIGNED_HEAD_LEN or env[:4] != MAGIC or env[4] != 1:
        raise Reject("malformed", "magic, suite or length")
    head, sig = env[:HEAD_LEN], env[HEAD_LEN:SIGNED_HEAD_LEN]
    header = head[:HEADER_LEN]
    channel, sender_id, commitment = header[5:21], header[21:53], header[69:101]
    (count,) = struct.unpack(">I", head[101:105])
    stanzas_hash = head[105:137]
    (ct_len,) = struct.unpack(">Q", head[137:145])
    ct_hash = head[145:177]
    if not 1 <= count <= 10000 or not 16 <= ct_len <= 256 * 1024 * 1024:
        raise Reject("malformed", "ranges")
    body = env[SIGNED_HEAD_LEN:]
    if len(body) < count * STANZA_LEN + ct_len:
        raise Reject("malformed", "truncated")
    if len(body) > count * STANZA_LEN + ct_len:
        raise Reject("malformed", "trailing bytes")
    stanzas, ct = body[: count * STANZA_LEN], body[count * STANZA_LEN :]
    # 2. Hashes.
    if sha256(stanzas) != stanzas_hash or sha256(ct) != ct_hash:
        raise Reject("body-mismatch", "stanza or ciphertext hash")
    ids = [stanzas[i : i + 32] for i in range(0, len(stanzas), STANZA_LEN)]
    if len(set(ids)) != len(ids):
        raise Reject("malformed", "duplicate recipient")
    # 3. Signature.
    if key_id(b"ed25519", sender_public) != sender_id:
        raise Reject("signature", "sender key id")
    try:
        nacl.signing.VerifyKey(sender_public).verify(pae(HEAD_TYPE, head), sig)
    except nacl.exceptions.BadSignatureError:
        raise Reject("signature", "bad signature")
    # 4. Our stanza.
    my_public = nacl.bindings.crypto_scalarmult_base(recipient_secret)
    my_id = key_id(b"x25519", my_public)
    try:
        i = ids.index(my_id)
    except ValueError:
        raise Reject("not-a-recipient", "no stanza for us")
    st = stanzas[i * STANZA_LEN : (i + 1) * STANZA_LEN]
    enc, wrapped = st[32:64], st[64:112]
    # 5. HPKE.
    try:
        skr = SUITE.kem.deserialize_private_key(recipient_secret)
        key = SUITE.create_recipient_context(enc, skr, info=HPKE_INFO).open(wrapped, aad=header)
    except Exception:
        raise Reject("decrypt", "HPKE open failed")
    if len(key) != 32:
        raise Reject("decrypt", "content key length")
    # 6. STREAM.
    pt = stream_decrypt(key, header, ct)
    # 7. Commitment.
    parts = decode_parts(pt)
    if mth([leaf_hash(*p) for p in parts]) != commitment:
        raise Reject("commitment", "commitment mismatch")
    # 8. Message.
    check_message(parts, channel, sender_id)
    return commitment, parts


def main():
    path = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent / "vectors" / "envelopes.json"
    doc = json.loads(path.read_text())
    assert doc["head_payload_type"].encode() == HEAD_TYPE and doc["hpke_info"].encode() == HPKE_INFO
    passed = failed = 0

    def result(name, ok, detail=""):
        nonlocal passed, failed
        passed, failed = passed + ok, failed + (not ok)
        print(f"{'ok  ' if ok else 'FAIL'} {name} {detail}")

    for v in doc["vectors"]:
        for n, o in enumerate(v["openers"]):
            secret, public = bytes.fromhex(o["secret"]), bytes.fromhex(o["public"])
            keys_ok = nacl.bindings.crypto_scalarmult_base(secret) == public and key_id(b"x25519", public).hex() == o["key_id"]
            try:
                commitment, parts = open_envelope(bytes.fromhex(v["envelope"]), bytes.fromhex(v["sender_public"]), secret)
                outcome = "ok"
            except Reject as r:
                outcome, parts = r.outcome, None
            ok = keys_ok and outcome == v["expect"]
            if ok and outcome == "ok":
                want = [(k["kind"], k["salt"], k["content"]) for k in v["parts"]]
                got = [(KINDS[t], s.hex(), c.hex()) for t, s, c in parts]
                ok = got == want and commitment.hex() == v["commitment"]
            result(f"{v['name']}[{n}]", ok, f"(expected {v['expect']}, got {outcome})")

    for o in doc["openings"]:
        tags = {name: tag for tag, name in KINDS.items()}
        leaves = []
        for p in o["parts"]:
            if "leaf_hash" in p:
                leaves.append(bytes.fromhex(p["leaf_hash"]))
            else:
                leaves.append(leaf_hash(tags[p["kind"]], bytes.fromhex(p["salt"]), bytes.fromhex(p["content"])))
        got = "ok" if mth(leaves).hex() == o["commitment"] else "mismatch"
        result(o["name"], got == o["expect"], f"(expected {o['expect']}, got {got})")

    print(f"open_envelopes: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
