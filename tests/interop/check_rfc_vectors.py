#!/usr/bin/env python3
"""Checks the checked-in RFC vectors with third-party implementations:
RFC 8032 Ed25519 with PyNaCl (libsodium), RFC 9180 HPKE with pyhpke.
Prints `rfc vectors: N passed, M failed` and exits non-zero on any failure."""

import json
import pathlib
import sys

import nacl.exceptions
import nacl.signing
from pyhpke import AEADId, CipherSuite, KDFId, KEMId

VECTORS = pathlib.Path(__file__).resolve().parent.parent / "vectors"
passed = failed = 0


def check(name, ok):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAILED: {name}")


def ed25519():
    doc = json.loads((VECTORS / "rfc8032-ed25519.json").read_text())
    for v in doc["vectors"]:
        pk = nacl.signing.VerifyKey(bytes.fromhex(v["public_key"]))
        msg, sig = bytes.fromhex(v["message"]), bytes.fromhex(v["signature"])
        try:
            pk.verify(msg, sig)
            verified = True
        except nacl.exceptions.BadSignatureError:
            verified = False
        check(f"{v['name']}: verify == {v['valid']}", verified == v["valid"])
        if v["valid"]:
            sk = nacl.signing.SigningKey(bytes.fromhex(v["secret_key"]))
            check(f"{v['name']}: public key", bytes(sk.verify_key) == bytes(pk))
            check(f"{v['name']}: signature", sk.sign(msg).signature == sig)


def hpke():
    doc = json.loads((VECTORS / "rfc9180-x25519-sha256-chacha20poly1305.json").read_text())
    suite = CipherSuite.new(KEMId.DHKEM_X25519_HKDF_SHA256, KDFId.HKDF_SHA256, AEADId.CHACHA20_POLY1305)
    for v in doc["vectors"]:
        mode = v["mode"]
        for ikm, sk, pk in (("ikmE", "skEm", "pkEm"), ("ikmR", "skRm", "pkRm")):
            kp = suite.kem.derive_key_pair(bytes.fromhex(v[ikm]))
            check(f"mode {mode}: {sk}", kp.private_key.to_private_bytes().hex() == v[sk])
            check(f"mode {mode}: {pk}", kp.public_key.to_public_bytes().hex() == v[pk])
        skr = suite.kem.deserialize_private_key(bytes.fromhex(v["skRm"]))
        kwargs = {}
        if mode == 1:
            kwargs = {"psk": bytes.fromhex(v["psk"]), "psk_id": bytes.fromhex(v["psk_id"])}
        ctx = suite.create_recipient_context(bytes.fromhex(v["enc"]), skr, info=bytes.fromhex(v["info"]), **kwargs)
        for i, e in enumerate(v["encryptions"]):
            if e["sequence_number"] != i:
                continue  # pyhpke's context only advances on successful opens
            pt = ctx.open(bytes.fromhex(e["ct"]), aad=bytes.fromhex(e["aad"]))
            check(f"mode {mode}: seq {i}", pt.hex() == e["pt"])
        for x in v["exports"]:
            out = ctx.export(bytes.fromhex(x["exporter_context"]), x["L"])
            check(f"mode {mode}: export {x['exporter_context']!r}", out.hex() == x["exported_value"])


ed25519()
hpke()
print(f"rfc vectors: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
