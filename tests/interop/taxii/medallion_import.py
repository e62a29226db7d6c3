"""A third-party TAXII 2.1 server for `hotline evidence import` to read.

Makes STIX 2.1 objects with OASIS's `stix2` library and serves them from
OASIS's medallion (3.0.0, memory backend, max_page_size 5, so that a
collection takes several pages and `next`), on 127.0.0.1, with HTTP Basic
authentication. Two collections in the API root `api1`:

- GOOD: 13 objects of several types (identity, malware, indicators, a
  relationship, attack-pattern, threat-actor, vulnerability, note, and the
  SCOs ipv4-addr, domain-name, file); the first 8 added on 2026-11-01, the
  last 5 on 2026-11-20.
- MIXED: 4 valid objects and an indicator whose pattern is broken (medallion
  keeps what it is given; the STIX pattern grammar refuses it).

Writes OUT_DIR/objects.json ({"good": [...], "mixed": [...], "bad_id": ...,
"later_ids": [...], "cut": ..., "good_collection": ..., "mixed_collection":
...}; objects in the order added), then prints "ready URL" (URL the API
root) on stdout and serves until killed.

Needs `pip install -r tests/interop/requirements.txt` (medallion, stix2).

With --tls CERT KEY (PEM files), serves https instead of http.

Usage: medallion_import.py OUT_DIR USER PASSWORD [--tls CERT KEY]
       (run by crates/cli/tests/evidence_import.rs)
"""

import json
import os
import socket
import sys

import stix2

GOOD = "1b4f3c2a-5e6d-4f70-8a91-b2c3d4e5f607"
MIXED = "9e8d7c6b-5a49-4382-b716-a5f4e3d2c1b0"
EARLY = "2026-11-01T00:00:{:02d}.000Z"
LATE = "2026-11-20T00:00:{:02d}.000Z"
CUT = "2026-11-10T00:00:00Z"
T = "2026-11-01T08:00:00.000Z"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_dict(o):
    return json.loads(o.serialize())


def good_objects():
    ident = stix2.Identity(name="Southland CERT", identity_class="organization", created=T, modified=T)
    mal = stix2.Malware(name="Nightjar", is_family=True, malware_types=["remote-access-trojan"], created=T, modified=T)
    ind1 = stix2.Indicator(
        name="C2 server",
        pattern="[ipv4-addr:value = '198.51.100.23']",
        pattern_type="stix",
        valid_from=T,
        created_by_ref=ident.id,
        created=T,
        modified=T,
    )
    ind2 = stix2.Indicator(
        name="Phishing domain",
        pattern="[domain-name:value = 'login.example.net'] OR [url:value = 'https://login.example.net/a']",
        pattern_type="stix",
        valid_from=T,
        created=T,
        modified=T,
    )
    rel = stix2.Relationship(ind1, "indicates", mal, created=T, modified=T)
    ap = stix2.AttackPattern(
        name="Spearphishing Link",
        external_references=[{"source_name": "capec", "external_id": "CAPEC-163"}],
        created=T,
        modified=T,
    )
    ta = stix2.ThreatActor(name="Grey Heron", threat_actor_types=["nation-state"], created=T, modified=T)
    vuln = stix2.Vulnerability(
        name="CVE-2026-0001",
        external_references=[{"source_name": "cve", "external_id": "CVE-2026-0001"}],
        created=T,
        modified=T,
    )
    note = stix2.Note(content="Seen in three networks.", object_refs=[ind1.id, mal.id], created=T, modified=T)
    ip = stix2.IPv4Address(value="198.51.100.23")
    dom = stix2.DomainName(value="login.example.net")
    f = stix2.File(name="invoice.pdf.exe", hashes={"SHA-256": "a" * 64})
    ind3 = stix2.Indicator(
        name="Dropper hash",
        pattern="[file:hashes.'SHA-256' = '" + "a" * 64 + "']",
        pattern_type="stix",
        valid_from=T,
        created=T,
        modified=T,
    )
    return [as_dict(o) for o in (ident, mal, ind1, ind2, rel, ap, ta, vuln, note, ip, dom, f, ind3)]


def mixed_objects():
    ident = stix2.Identity(name="Eastland CERT", identity_class="organization", created=T, modified=T)
    mal = stix2.Malware(name="Sandpiper", is_family=False, created=T, modified=T)
    ind = stix2.Indicator(
        pattern="[ipv4-addr:value = '203.0.113.7']", pattern_type="stix", valid_from=T, created=T, modified=T
    )
    bad = as_dict(
        stix2.Indicator(
            pattern="[ipv4-addr:value = '203.0.113.8']", pattern_type="stix", valid_from=T, created=T, modified=T
        )
    )
    bad["pattern"] = "[ipv4-addr:value = '203.0.113.8'"  # unbalanced: not a STIX pattern
    ip = stix2.IPv4Address(value="203.0.113.7")
    return [as_dict(ident), as_dict(mal), bad, as_dict(ind), as_dict(ip)], bad["id"]


def collection(cid, title, objects, added):
    manifest = []
    for o, when in zip(objects, added):
        version = o.get("modified", o.get("created"))
        if version is None:  # an SCO: medallion versions it by when it was added
            o["_date_added"] = when
            version = when
        manifest.append(
            {"id": o["id"], "date_added": when, "version": version, "media_type": "application/stix+json;version=2.1"}
        )
    return {
        "id": cid,
        "title": title,
        "description": title,
        "can_read": True,
        "can_write": False,
        "media_types": ["application/stix+json;version=2.1"],
        "objects": objects,
        "manifest": manifest,
    }


def main():
    out_dir, user, password = sys.argv[1:4]
    tls = None
    if sys.argv[4:5] == ["--tls"]:
        tls = (sys.argv[5], sys.argv[6])
    elif len(sys.argv) != 4:
        sys.exit(__doc__)
    good = good_objects()
    good_added = [EARLY.format(i) for i in range(8)] + [LATE.format(i) for i in range(5)]
    mixed, bad_id = mixed_objects()
    mixed_added = [EARLY.format(i) for i in range(len(mixed))]
    with open(os.path.join(out_dir, "objects.json"), "w", encoding="utf-8") as f:
        json.dump(
            {
                "good": good,
                "mixed": mixed,
                "bad_id": bad_id,
                "later_ids": [o["id"] for o in good[8:]],
                "cut": CUT,
                "good_collection": GOOD,
                "mixed_collection": MIXED,
            },
            f,
        )
    port = free_port()
    base = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    data = {
        "/discovery": {
            "title": "medallion for hotline evidence import",
            "description": "test",
            "default": f"{base}/api1/",
            "api_roots": [f"{base}/api1/"],
        },
        "api1": {
            "information": {
                "title": "api1",
                "description": "test",
                "versions": ["application/taxii+json;version=2.1"],
                "max_content_length": 10485760,
            },
            "status": [],
            "collections": [
                collection(GOOD, "Our indicators", [dict(o) for o in good], good_added),
                collection(MIXED, "With a broken indicator", [dict(o) for o in mixed], mixed_added),
            ],
        },
    }
    data_file = os.path.join(out_dir, "medallion-data.json")
    with open(data_file, "w", encoding="utf-8") as f:
        json.dump(data, f)
    conf = {
        "users": {user: password},
        "taxii": {"max_page_size": 5},
        "backend": {
            "module": "medallion.backends.memory_backend",
            "module_class": "MemoryBackend",
            "filename": data_file,
        },
    }

    from werkzeug.serving import make_server

    from medallion import application_instance, register_blueprints, set_config

    for prop in ("users", "taxii", "backend"):
        set_config(application_instance, prop, conf)
    register_blueprints(application_instance)
    srv = make_server("127.0.0.1", port, application_instance, threaded=False, ssl_context=tls)
    print(f"ready {base}/api1/", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
