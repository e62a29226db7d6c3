"""Reads one collection of `hotline taxii serve` with OASIS's taxii2-client.

Walks discovery to the channel's API root, pages through the collection
(100 objects a page, following `next`), checks every object with OASIS's
stix2-validator (as one bundle) and parses it with the OASIS `stix2`
library, then prints the objects, as served, as one JSON list on stdout.
Exits non-zero with the reason if a check fails. Run by the Rust tests that
compare what a party's tools read with what the other party sent
(crates/cli/tests/demo_cli.rs, taxii_misp.rs).

Usage: read_collection.py URL USER PASSWORD CHANNEL COLLECTION
(CHANNEL `-`: the only API root the server has)
"""

import json
import sys

import stix2
import stix2validator
from taxii2client.v21 import Server, as_pages


def main():
    url, user, password, channel, collection = sys.argv[1:]
    server = Server(f"{url}/taxii2/", user=user, password=password)
    roots = [r for r in server.api_roots if channel == "-" or r.url.rstrip("/").endswith(channel)]
    if len(roots) != 1:
        sys.exit(f"FAIL: no single API root for {channel}: {[r.url for r in server.api_roots]}")
    colls = {c.id: c for c in roots[0].collections}
    if collection not in colls:
        sys.exit(f"FAIL: no collection {collection}: {sorted(colls)}")
    objects = []
    for page in as_pages(colls[collection].get_objects, per_request=100):
        objects.extend(page.get("objects", []))
    if objects:
        bundle = {
            "type": "bundle",
            "id": "bundle--6f0e8a3c-2b9e-4f43-9c55-1f7d7f3b2c11",
            "objects": objects,
        }
        results = stix2validator.validate_string(json.dumps(bundle))
        if not results.is_valid:
            stix2validator.print_results(results)
            sys.exit("FAIL: stix2-validator finds objects served invalid")
        for o in objects:
            stix2.parse(o, allow_custom=True)
    print(json.dumps(objects))


if __name__ == "__main__":
    main()
