"""Drives `hotline taxii serve` with OASIS's own TAXII 2.1 client.

Run by crates/cli/tests/taxii_cli.rs; needs tests/interop/requirements.txt
(taxii2-client, stix2, stix2-validator). Walks discovery, the channel's API
root, its collections, and pages through `received` one object at a time;
filters by added_after and match[type]; reads an object, its versions and the
manifest. The objects served must equal (as JSON) the bundle's, less the
withheld ones. Every object served must be valid STIX 2.1 to stix2-validator
and parse with stix2. A wrong password must get 401.

Then it posts objects made with OASIS's stix2 library, and one invalid
object, to the outbox with Collection.add_objects: the Status must count
them (the invalid one a failure saying why), refresh() must fetch the same
status again, a second post of one object must be a success that was
already there, and reading the outbox must get 403. The posted objects'
JSON texts are written to POSTED_FILE (a JSON list of strings) for the Rust
test to follow them into the draft and the case.

Exits non-zero (with the reason) on any difference.

Usage: walk.py URL USER PASSWORD CHANNEL BUNDLE_FILE POSTED_FILE [WITHHELD_ID ...]
"""

import datetime
import json
import sys

import requests
import stix2
import stix2validator
from taxii2client.v21 import Server, as_pages

TAXII = "application/taxii+json;version=2.1"


def check(cond, what):
    if not cond:
        sys.exit(f"FAIL: {what}")


def main():
    url, user, password, channel, bundle_file, posted_file, *withheld = sys.argv[1:]
    bundle = json.load(open(bundle_file, encoding="utf-8"))
    expected = [o for o in bundle["objects"] if o["id"] not in withheld]
    check(len(expected) >= 3, "the bundle needs at least 3 objects served")

    server = Server(f"{url}/taxii2/", user=user, password=password)
    check(server.title, "discovery has a title")
    roots = [r for r in server.api_roots if r.url.rstrip("/").endswith(channel)]
    check(len(roots) == 1, f"one API root for {channel}: {[r.url for r in server.api_roots]}")
    check(server.default is not None, "discovery names a default API root")
    root = roots[0]
    check(TAXII in root.versions, f"API root versions {root.versions}")
    colls = {c.id: c for c in root.collections}
    check(set(colls) == {"received", "sent", "outbox"}, f"collections {sorted(colls)}")
    received = colls["received"]
    check(received.can_read and not received.can_write, "received is read-only")

    # One object a page, following `next`.
    pages = list(as_pages(received.get_objects, per_request=1))
    check(all(len(p.get("objects", [])) == 1 for p in pages), f"one object a page: {pages}")
    check(all(p["more"] for p in pages[:-1]) and not pages[-1]["more"], "more on all pages but the last")
    got = [p["objects"][0] for p in pages]
    check(got == expected, f"objects served differ from those sent:\n{json.dumps(got)}\n{json.dumps(expected)}")

    # A whole page at once, and the same objects.
    check(received.get_objects().get("objects") == expected, "one page of all objects")
    check("objects" not in colls["sent"].get_objects(), "nothing in sent")

    # Manifest: one record per object, dates and versions.
    manifest = received.get_manifest()["objects"]
    check([m["id"] for m in manifest] == [o["id"] for o in expected], "manifest ids")
    for m, o in zip(manifest, expected):
        check(m["version"] == o.get("modified", o.get("created")), f"manifest version {m}")
        check(m["media_type"] == "application/stix+json;version=2.1", f"media type {m}")

    # added_after: nothing after the last date added; everything after a
    # millisecond before the first.
    last = max(m["date_added"] for m in manifest)
    first = min(m["date_added"] for m in manifest)
    check("objects" not in received.get_objects(added_after=last), "nothing added after the last")
    before = (
        datetime.datetime.strptime(first, "%Y-%m-%dT%H:%M:%S.%fZ") - datetime.timedelta(milliseconds=1)
    ).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    check(received.get_objects(added_after=before)["objects"] == expected, "all added after just before")
    paged = [
        p["objects"][0] for p in as_pages(received.get_objects, per_request=1, added_after=before)
    ]
    check(paged == expected, "paging with added_after")

    # match[type], one type and two.
    for types in (["indicator"], ["indicator", "identity"]):
        env = received.get_objects(type=types)
        want = [o for o in expected if o["type"] in types]
        check(env.get("objects", []) == want, f"match[type]={types}: {env}")

    # An object by id, its versions.
    one = expected[0]
    check(received.get_object(one["id"])["objects"] == [one], "object by id")
    versions = received.object_versions(one["id"])["versions"]
    check(versions == [one.get("modified", one.get("created"))], f"versions {versions}")
    for w in withheld:
        try:
            received.get_object(w)
            check(False, f"withheld object {w} served")
        except requests.exceptions.HTTPError as e:
            check(e.response.status_code == 404, f"withheld object {w}: {e.response.status_code}")

    # What the server returns is valid STIX 2.1 to OASIS's validator and
    # parses with OASIS's library.
    served = {"type": "bundle", "id": bundle["id"], "objects": got}
    res = stix2validator.validate_parsed_json(served, stix2validator.ValidationOptions(version="2.1"))
    results = res if isinstance(res, list) else [res]
    errors = [str(e) for r in results for e in r.errors]
    check(all(r.is_valid for r in results), f"stix2-validator: {errors}")
    for o in got:
        stix2.parse(o, allow_custom=True)

    # A wrong password is refused.
    try:
        Server(f"{url}/taxii2/", user=user, password=password + "x").title
        check(False, "a wrong password was accepted")
    except requests.exceptions.HTTPError as e:
        check(e.response.status_code == 401, f"wrong password: {e.response.status_code}")
        check(e.response.headers.get("WWW-Authenticate", "").startswith("Basic"), "WWW-Authenticate: Basic")

    print(f"ok: {len(got)} objects in {len(pages)} pages")
    post_to_outbox(url, user, password, root, colls["outbox"], posted_file)


def post_to_outbox(url, user, password, root, outbox, posted_file):
    check(outbox.can_write and not outbox.can_read, "outbox is write-only")
    check(root.max_content_length > 0, f"max_content_length {root.max_content_length}")
    ident = stix2.Identity(name="Southland CERT", identity_class="organization")
    ind = stix2.Indicator(
        name="Phishing sender",
        indicator_types=["malicious-activity"],
        pattern="[email-addr:value = 'billing@invoices.example']",
        pattern_type="stix",
        created_by_ref=ident,
    )
    mal = stix2.Malware(name="Quillfeather", is_family=True, malware_types=["spyware"])
    rel = stix2.Relationship(ind, "indicates", mal)
    sco = stix2.IPv4Address(value="203.0.113.9")
    made = [ident, ind, mal, rel, sco]
    texts = [o.serialize() for o in made]
    # modified before created: a MUST rule broken.
    invalid = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--0b8f1a5e-2c3d-4e5f-8a9b-0c1d2e3f4a5b",
        "created": "2026-11-20T08:00:00.000Z",
        "modified": "2026-11-19T08:00:00.000Z",
        "pattern": "[ipv4-addr:value = '203.0.113.10']",
        "pattern_type": "stix",
        "valid_from": "2026-11-20T08:00:00Z",
    }
    envelope = '{"objects": [' + ", ".join(texts + [json.dumps(invalid)]) + "]}"
    status = outbox.add_objects(envelope)
    check(status.status == "complete", f"status {status.status}")
    counts = (status.total_count, status.success_count, status.failure_count, status.pending_count)
    check(counts == (6, 5, 1, 0), f"counts {counts}")
    check([s["id"] for s in status.successes] == [o.id for o in made], f"successes {status.successes}")
    # The version is `modified`; the SCO has none: the request's time.
    versions = [s["version"] for s in status.successes]
    want = [json.loads(t).get("modified", status.request_timestamp) for t in texts]
    check(versions == want, f"versions {versions} {want}")
    failure = status.failures[0]
    check(failure["id"] == invalid["id"] and failure["version"] == invalid["modified"], f"failure {failure}")
    check("modified" in failure["message"], f"failure message {failure['message']}")
    first = status._raw
    status.refresh()  # GET …/status/{id} (taxii2-client leaves out the final '/')
    check(status._raw == first, f"refreshed status differs: {status._raw} {first}")
    check(root.get_status(status.id)._raw == first, "API root get_status")

    again = outbox.add_objects({"objects": [json.loads(texts[2])]})
    check((again.total_count, again.success_count) == (1, 1), f"again {again._raw}")
    check("already" in again.successes[0]["message"], f"again {again.successes}")
    check(again.id != status.id, "a new status id for each post")

    r = requests.get(f"{outbox.url}objects/", auth=(user, password), headers={"Accept": TAXII})
    check(r.status_code == 403, f"reading the outbox: {r.status_code}")
    check(r.json()["http_status"] == "403", f"403 body {r.text}")

    with open(posted_file, "w", encoding="utf-8") as f:
        json.dump(texts, f)
    print(f"ok: posted {status.success_count} objects, {status.failure_count} refused")


if __name__ == "__main__":
    main()
