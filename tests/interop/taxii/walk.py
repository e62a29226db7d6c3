"""Drives `hotline taxii serve` with OASIS's own TAXII 2.1 client.

Run by crates/cli/tests/taxii_cli.rs; needs tests/interop/requirements.txt
(taxii2-client, stix2, stix2-validator). Walks discovery, the channel's API
root, its collections, and pages through `received` one object at a time;
filters by added_after and match[type]; reads an object, its versions and the
manifest. The objects served must equal (as JSON) the bundle's, less the
withheld ones. Every object served must be valid STIX 2.1 to stix2-validator
and parse with stix2. A wrong password must get 401. Exits non-zero (with
the reason) on any difference.

Usage: walk.py URL USER PASSWORD CHANNEL BUNDLE_FILE [WITHHELD_ID ...]
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
    url, user, password, channel, bundle_file, *withheld = sys.argv[1:]
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
    check(set(colls) == {"received", "sent"}, f"collections {sorted(colls)}")
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


if __name__ == "__main__":
    main()
