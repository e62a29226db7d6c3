"""Reads `hotline taxii serve --tls-cert … --tls-key …` over HTTPS with
OASIS's own TAXII 2.1 client, verifying the server's certificate.

Run by crates/cli/tests/taxii_cli.rs; needs tests/interop/requirements.txt.
Reads discovery (whose API root URLs must be https:// at the address the
client reached), the channel's API root, its `received` collection, and
checks the ids of the objects served in `received` (and that `sent` is
empty). Exits non-zero (with the reason) on any difference.

Usage: tls.py URL USER PASSWORD CHANNEL CA_FILE [EXPECTED_ID ...]
"""

import sys

from taxii2client.v21 import Server


def check(cond, what):
    if not cond:
        sys.exit(f"FAIL: {what}")


def main():
    url, user, password, channel, ca, *expected = sys.argv[1:]
    check(url.startswith("https://"), f"an https URL: {url}")
    server = Server(f"{url}/taxii2/", user=user, password=password, verify=ca)
    check(server.title, "discovery has a title")
    roots = [r for r in server.api_roots if r.url.rstrip("/").endswith(channel)]
    check(len(roots) == 1, f"one API root for {channel}: {[r.url for r in server.api_roots]}")
    root = roots[0]
    check(root.url == f"{url}/{channel}/", f"the API root at the address reached: {root.url}")
    colls = {c.id: c for c in root.collections}
    check(set(colls) == {"received", "sent", "outbox"}, f"collections {sorted(colls)}")
    got = [o["id"] for o in colls["received"].get_objects().get("objects", [])]
    check(got == expected, f"received serves {got}, expected {expected}")
    check("objects" not in colls["sent"].get_objects(), "nothing in sent")
    print(f"ok: {len(got)} objects over https")


main()
