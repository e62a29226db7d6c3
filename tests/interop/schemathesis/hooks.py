"""Schemathesis hooks for the Hotline relay (loaded through SCHEMATHESIS_HOOKS by run.sh).

1. Every request Schemathesis sends with credentials is signed as the relay's clients sign
   (RFC 9421 HTTP Message Signatures with Ed25519, `docs/relay.md` § Authentication,
   `crates/httpsig`, `crates/client/src/relay_client.rs::signed_headers`): `Content-Digest`
   (RFC 9530, sha-256) over the exact body bytes sent, and a signature labelled `hotline`
   covering ("@method" "@authority" "@path" "@query" "content-digest") with `created`,
   `keyid`, a fresh `nonce` and `alg="ed25519"`. The signer is a `requests` auth object: it
   runs on the prepared request, after Schemathesis has serialised the body and the URL, so
   what it hashes and signs is what goes on the wire. Each request gets a fresh nonce (the
   relay refuses a replayed one) and a current `created` (signatures expire after 60 s).
   Schemathesis's own probes without credentials (`ignored_auth`, and cases whose security
   parameter is negated on purpose) are sent without it and must get 401.

2. Generated path parameters are replaced, most of the time, by the seeded channel's values
   (its id, the envelope's index, a checkpoint size, the blob's hash, tile paths), so that
   cases get past "no such channel" into the handlers. Only values valid for their schema are
   replaced: a value Schemathesis made invalid on purpose (negative testing) is kept. The choice
   is a function of the generated value, so it is as reproducible as the run's `--seed`.

   Likewise for constraints the document states but JSON Schema cannot express, positive
   cases are made to meet them (a blob named by its own SHA-256, one DSSE signature per keyid,
   integers written as integers), and a few are given seeded values that get further into
   the relay (the seeded charter, a cosignature by the member on a signed checkpoint size).

3. A check, `problem_document`: every error response (status >= 400) is an RFC 9457 problem
   (`application/problem+json`, a JSON object with `type` urn:hotline:problem:<slug>, `title`,
   `status` equal to the HTTP status, and `detail`), including the responses to the requests
   Schemathesis malforms on purpose (undeclared methods, wrong content types), which its
   built-in conformance checks do not judge.

The seed file (run.sh's first argument, in HOTLINE_SEED) is written by
`crates/cli/tests/relay_schemathesis.rs`: url, channel, member_seed, member_keyid,
party_seed, charter (base64 of the charter's DSSE JSON), envelope_index, blob, size.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import time
from urllib.parse import urlsplit

import requests
import schemathesis
from nacl.signing import SigningKey
from schemathesis.core.parameters import ParameterLocation
from schemathesis.transport.serialization import serialize_binary
from urllib3.util.url import _encode_target

SEED = json.loads(open(os.environ["HOTLINE_SEED"], encoding="utf-8").read())

COMPONENTS = ("@method", "@authority", "@path", "@query", "content-digest")
LABEL = "hotline"

CHANNEL = SEED["channel"]
BLOB = SEED["blob"]
SIZE = int(SEED["size"])
ENVELOPE_INDEX = int(SEED["envelope_index"])
CHARTER = json.loads(base64.b64decode(SEED["charter"]))


def key_id(verify_key_bytes: bytes) -> str:
    """A key id (docs/format.md §2): SHA-256("hotline/keyid/v1/" || "ed25519" || 0x00 || key)."""
    return hashlib.sha256(b"hotline/keyid/v1/ed25519\x00" + verify_key_bytes).hexdigest()


class Signer:
    """An Ed25519 key and its key id."""

    def __init__(self, seed_hex: str):
        self.key = SigningKey(bytes.fromhex(seed_hex))
        self.keyid = key_id(bytes(self.key.verify_key))


MEMBER = Signer(SEED["member_seed"])
PARTY = Signer(SEED["party_seed"])
if "member_keyid" in SEED and SEED["member_keyid"] != MEMBER.keyid:
    raise SystemExit(f"member key id {MEMBER.keyid} is not the seed's {SEED['member_keyid']}")


def sf_string(s: str) -> str:
    """An RFC 8941 sf-string."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def signed_headers(signer: Signer, method: str, authority: str, path: str, query: str | None, body: bytes):
    """The headers a Hotline client adds to a request (crates/httpsig `sign`)."""
    digest = "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"
    params = (
        "(" + " ".join(sf_string(c) for c in COMPONENTS) + ")"
        + f";created={int(time.time())}"
        + f";keyid={sf_string(signer.keyid)}"
        + f";nonce={sf_string(secrets.token_hex(16))}"
        + ';alg="ed25519"'
    )
    values = {
        "@method": method,
        "@authority": authority.lower(),
        "@path": path or "/",
        "@query": "?" + (query or ""),
        "content-digest": digest,
    }
    base = "".join(f'"{c}": {values[c]}\n' for c in COMPONENTS) + f'"@signature-params": {params}'
    sig = signer.key.sign(base.encode()).signature
    return {
        "Content-Digest": digest,
        "Signature-Input": f"{LABEL}={params}",
        "Signature": f"{LABEL}=:{base64.b64encode(sig).decode()}:",
    }


class HttpSignature(requests.auth.AuthBase):
    """Signs a prepared request; a channel's creation with the party key, the rest as member n1."""

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        body = r.body
        if body is None:
            body = b""
        elif isinstance(body, str):
            body = body.encode("utf-8")
        elif not isinstance(body, (bytes, bytearray)):
            # A file or an iterable: read it here, so that what is hashed is what is sent.
            body = body.read() if hasattr(body, "read") else b"".join(body)
        body = bytes(body)
        if r.body is not None:
            r.body = body
            r.prepare_content_length(body)
        # The request target exactly as urllib3 writes it on the wire (it percent-encodes
        # characters a target may not carry), which is what the relay sees as @path and @query.
        target = _encode_target(r.path_url)
        path, sep, query = target.partition("?")
        authority = r.headers.get("Host") or urlsplit(r.url).netloc
        signer = PARTY if (r.method == "POST" and path.rstrip("/") == "/v1/channels") else MEMBER
        for k, v in signed_headers(signer, r.method, authority, path, query if sep else None, body).items():
            r.headers[k] = v
        return r


schemathesis.auth.set_from_requests(HttpSignature())


# --- seeded values in generated cases ---------------------------------------------------------

HEX32 = re.compile(r"^[0-9a-f]{32}$")
HEX64 = re.compile(r"^[0-9a-f]{64}$")
TILE_PATHS = [
    f"tile/0/000.p/{SIZE}",
    f"tile/entries/000.p/{SIZE}",
    "tile/entries/000.p/1",
    f"tile/1/000.p/{max(SIZE // 256, 1)}",
]


def chance(percent: int, *parts: object) -> bool:
    """A reproducible coin: true for `percent` % of the values of `parts`."""
    h = hashlib.sha256(repr(parts).encode()).digest()
    return int.from_bytes(h[:4], "big") % 100 < percent


def pick(options: list, *parts: object):
    h = hashlib.sha256(repr(parts).encode()).digest()
    return options[int.from_bytes(h[4:8], "big") % len(options)]


U64_MAX = 2**64 - 1
I64_MAX = 2**63 - 1


def as_uint(v: object, most: int = U64_MAX) -> bool:
    """Whether `v` is a valid value for its schema (0..most, as the document has them)."""
    try:
        return 0 <= int(str(v)) <= most and str(int(str(v))) == str(v)
    except ValueError:
        return False


@schemathesis.hook
def map_case(context, case):
    params = case.path_parameters
    if not isinstance(params, dict):
        return case
    label = f"{case.method} {case.operation.path}"
    new = dict(params)
    for name, value in params.items():
        if name == "id" and isinstance(value, str) and HEX32.match(value) and chance(85, label, name, value):
            new["id"] = CHANNEL
        elif name == "hash" and isinstance(value, str) and HEX64.match(value) and chance(85, label, name, value):
            new["hash"] = BLOB
        elif name == "index" and as_uint(value) and chance(75, label, name, value):
            new["index"] = ENVELOPE_INDEX
        elif name == "size" and as_uint(value, I64_MAX) and chance(75, label, name, value):
            new["size"] = SIZE
        elif name == "path" and isinstance(value, str) and chance(60, label, name, value):
            new["path"] = pick(TILE_PATHS, label, value)
    # A cursor inside the seeded log, most of the time, so that reads return entries and an
    # event stream sends its first event at once (beyond the log it waits for new entries).
    query = case.query
    if isinstance(query, dict) and "start" in query and as_uint(query["start"]):
        share = 85 if case.operation.path.endswith("/events") else 50
        if chance(share, label, "start", query["start"]):
            case.query = {**query, "start": pick([0, 1, ENVELOPE_INDEX, SIZE - 1], label, query["start"])}
    meta = case.meta
    body_positive = meta is None or not meta.is_negative_at(ParameterLocation.BODY)
    method = case.method.upper()
    # A blob is named by its SHA-256: a positive upload is named after its own bytes (else
    # it is malformed, 400), so that uploads are stored.
    if method == "PUT" and case.operation.path.endswith("/blobs/{hash}") and body_positive:
        if isinstance(new.get("hash"), str) and HEX64.match(new["hash"]) and case.body is not None:
            try:
                new["hash"] = hashlib.sha256(serialize_binary(case.body)).hexdigest()
            except Exception:
                pass
    if new != params:
        case.path_parameters = new
    # A DSSE document has one signature per signer (docs/format.md §3; a repeated keyid is
    # malformed, 400), which JSON Schema cannot say of array items: a positive document keeps
    # the first signature of each keyid.
    if (
        method == "POST"
        and body_positive
        and isinstance(case.body, dict)
        and isinstance(case.body.get("signatures"), list)
        and case.operation.path in ("/v1/channels", "/v1/channels/{id}/rosters")
    ):
        seen, kept = set(), []
        for s in case.body["signatures"]:
            k = s.get("keyid") if isinstance(s, dict) else None
            if k not in seen:
                seen.add(k)
                kept.append(s)
        if len(kept) != len(case.body["signatures"]):
            case.body = {**case.body, "signatures": kept}
    # A cosignature named by the signing member (else it is refused, 403) on a checkpoint the
    # relay signed (else 404), now and then, so that the relay gets as far as verifying it.
    if (
        method == "POST"
        and case.operation.path.endswith("/cosignatures")
        and body_positive
        and isinstance(case.body, dict)
        and isinstance(case.body.get("cosignature"), str)
    ):
        line = case.body["cosignature"]
        body = dict(case.body)
        if chance(70, label, "name", line):
            body["cosignature"] = re.sub(r"^(\u2014 )[0-9a-f]{64}( )", lambda m: m.group(1) + MEMBER.keyid + m.group(2), line)
        if chance(70, label, "size", line):
            body["size"] = SIZE
        if body != case.body:
            case.body = body
    # The seeded charter, now and then, as a channel's creation (200: it exists already).
    if (
        method == "POST"
        and case.operation.path == "/v1/channels"
        and body_positive
        and isinstance(case.body, dict)
        and chance(30, label, "body", json.dumps(case.body, sort_keys=True, default=str))
    ):
        case.body = dict(CHARTER)
    return case


def integral(v):
    """`v` with every integral float (249.0) an int (249)."""
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**64:
        return int(v)
    if isinstance(v, dict):
        return {k: integral(x) for k, x in v.items()}
    if isinstance(v, list):
        return [integral(x) for x in v]
    return v


@schemathesis.hook
def before_call(context, case, kwargs):
    # JSON Schema counts 249.0 as an integer; the relay, like every Hotline parser, reads
    # integers only as written without a fraction (serde's u64), and a client writes them
    # so. Python would write 249.0: a positive value is sent as the integer it is.
    meta = case.meta
    if meta is None or not meta.is_negative_at(ParameterLocation.BODY):
        if isinstance(case.body, (dict, list)):
            body = integral(case.body)
            if repr(body) != repr(case.body):
                case.body = body
    if meta is None or not meta.is_negative_at(ParameterLocation.QUERY):
        if isinstance(case.query, dict):
            query = integral(case.query)
            if repr(query) != repr(case.query):
                case.query = query


# --- every error is a problem document ---------------------------------------------------------

PROBLEM_MEMBERS = {"type": str, "title": str, "status": int, "detail": str}


@schemathesis.check
def problem_document(ctx, response, case):
    """An error response is an RFC 9457 problem document (application/problem+json)."""
    if response.status_code < 400 or response.request.method == "HEAD":
        return None
    content_types = response.headers.get("content-type") or []
    content_type = content_types[0] if content_types else None
    if content_type is None or content_type.split(";")[0].strip().lower() != "application/problem+json":
        raise AssertionError(
            f"{response.status_code} answered with Content-Type {content_type!r}, not "
            f"application/problem+json; body: {response.content[:200]!r}"
        )
    try:
        doc = json.loads(response.content)
    except ValueError as e:
        raise AssertionError(f"the problem document is not JSON ({e}): {response.content[:200]!r}") from None
    if not isinstance(doc, dict):
        raise AssertionError(f"the problem document is not a JSON object: {response.content[:200]!r}")
    for member, kind in PROBLEM_MEMBERS.items():
        if not isinstance(doc.get(member), kind):
            raise AssertionError(f"the problem document has no {kind.__name__} {member!r}: {doc}")
    if doc["status"] != response.status_code:
        raise AssertionError(f"the problem's status {doc['status']} is not the HTTP status {response.status_code}")
    if not doc["type"].startswith("urn:hotline:problem:"):
        raise AssertionError(f"the problem's type {doc['type']!r} is not urn:hotline:problem:<slug>")
    return None
