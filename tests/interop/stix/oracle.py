#!/usr/bin/env python3
"""OASIS oracles for hotline-stix (docs/stix.md, "The oracle").

Usage: oracle.py OUT_DIR

Writes a corpus to OUT_DIR:

  bundles/NAME.json   a STIX 2.1 bundle: valid objects of every STIX 2.1 type
                      made with the OASIS `stix2` library, and mutations of
                      them (a property dropped, a bad id, a bad timestamp,
                      modified < created, a reference of the wrong type, a bad
                      pattern, ...)
  patterns/NAME.txt   a STIX pattern (valid ones, and every one-byte deletion
                      and a few insertions of some of them)
  verdicts.json       {"bundles": {NAME: {"valid": bool, "errors": [...]}},
                       "patterns": {NAME: {"valid": bool, "errors": [...]}}}

Bundle verdicts are OASIS `stix2-validator`'s (errors only: warnings do not
make a bundle invalid); pattern verdicts are OASIS `stix2-patterns`'s. The
Rust test crates/stix/tests/oracle.rs runs this script and compares.
Everything is deterministic: fixed ids and timestamps, no randomness.
"""

import copy
import json
import os
import sys
import uuid

import stix2
from stix2patterns.v21.pattern import Pattern  # noqa: F401  (import check)
from stix2patterns.validator import run_validator
from stix2validator import ValidationOptions, validate_parsed_json

NS = uuid.UUID("6b6a1d2e-4a5c-4f6e-9d4b-0b6d9b1f1a00")


def uid(ty, n):
    """A fixed UUIDv4-shaped id for type `ty`, number `n`."""
    u = uuid.uuid5(NS, "%s-%d" % (ty, n))
    b = bytearray(u.bytes)
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    return "%s--%s" % (ty, uuid.UUID(bytes=bytes(b)))


T0 = "2021-03-04T05:06:07.123Z"
T1 = "2021-05-06T07:08:09.456Z"
IDENTITY = uid("identity", 0)
MALWARE = uid("malware", 0)
INDICATOR = uid("indicator", 0)
OBSERVED = uid("observed-data", 0)
LOCATION = uid("location", 0)
FILE_ID = uid("file", 0)
IPV4_ID = uid("ipv4-addr", 0)
SOFTWARE_ID = uid("software", 0)
STATEMENT = uid("marking-definition", 1)
TLP2_EXT = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

SDO = dict(created=T0, modified=T0, created_by_ref=IDENTITY)


def valid_objects():
    """(name, dict) for valid objects of every STIX 2.1 type."""
    s = stix2.v21
    objs = [
        s.AttackPattern(id=uid("attack-pattern", 0), name="Spear phishing",
                        external_references=[{"source_name": "capec", "external_id": "CAPEC-163"}], **SDO),
        s.Campaign(id=uid("campaign", 0), name="Green group", first_seen=T0, last_seen=T1, **SDO),
        s.CourseOfAction(id=uid("course-of-action", 0), name="Block port 445", **SDO),
        s.Grouping(id=uid("grouping", 0), context="suspicious-activity", object_refs=[INDICATOR, MALWARE], **SDO),
        s.Identity(id=IDENTITY, name="Northland CERT", identity_class="organization",
                   created=T0, modified=T0),
        s.Incident(id=uid("incident", 0), name="Ransomware at the grid operator", **SDO),
        s.Indicator(id=INDICATOR, name="C2 address", indicator_types=["malicious-activity"],
                    pattern="[ipv4-addr:value = '198.51.100.3']", pattern_type="stix",
                    valid_from=T0, valid_until=T1, **SDO),
        s.Infrastructure(id=uid("infrastructure", 0), name="C2 server", infrastructure_types=["command-and-control"], **SDO),
        s.IntrusionSet(id=uid("intrusion-set", 0), name="Bronze", first_seen=T0, **SDO),
        s.Location(id=LOCATION, region="northern-europe", **SDO),
        s.Location(id=uid("location", 1), latitude=48.8566, longitude=2.3522, precision=1000.0, **SDO),
        s.Malware(id=MALWARE, name="Cryptolocker", is_family=True, malware_types=["ransomware"],
                  sample_refs=[FILE_ID], operating_system_refs=[SOFTWARE_ID], **SDO),
        s.MalwareAnalysis(id=uid("malware-analysis", 0), product="sandbox", result="malicious",
                          sample_ref=FILE_ID, **SDO),
        s.Note(id=uid("note", 0), content="Seen again on 3 March.", object_refs=[MALWARE], **SDO),
        s.ObservedData(id=OBSERVED, first_observed=T0, last_observed=T1, number_observed=3,
                       object_refs=[IPV4_ID], **SDO),
        s.Opinion(id=uid("opinion", 0), opinion="agree", object_refs=[INDICATOR], **SDO),
        s.Report(id=uid("report", 0), name="Incident report", published=T1, report_types=["threat-report"],
                 object_refs=[INDICATOR, MALWARE], **SDO),
        s.ThreatActor(id=uid("threat-actor", 0), name="Evil corp", threat_actor_types=["crime-syndicate"], **SDO),
        s.Tool(id=uid("tool", 0), name="mimikatz", tool_types=["credential-exploitation"], **SDO),
        s.Vulnerability(id=uid("vulnerability", 0), name="CVE-2021-44228",
                        external_references=[{"source_name": "cve", "external_id": "CVE-2021-44228"}], **SDO),
        s.Relationship(id=uid("relationship", 0), relationship_type="indicates",
                       source_ref=INDICATOR, target_ref=MALWARE, start_time=T0, stop_time=T1, **SDO),
        s.Sighting(id=uid("sighting", 0), sighting_of_ref=INDICATOR, observed_data_refs=[OBSERVED],
                   where_sighted_refs=[IDENTITY, LOCATION], count=2, first_seen=T0, last_seen=T1, **SDO),
        s.Artifact(id=uid("artifact", 0), payload_bin="aGVsbG8=", mime_type="text/plain"),
        s.AutonomousSystem(number=64500, name="Example AS"),
        s.Directory(path="C:\\Windows\\Temp"),
        s.DomainName(value="example.com", resolves_to_refs=[IPV4_ID]),
        s.EmailAddress(value="cert@example.org", display_name="CERT"),
        s.EmailMessage(is_multipart=False, subject="Invoice", body="see attachment"),
        s.File(id=FILE_ID, name="invoice.exe",
               hashes={"SHA-256": "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f"}),
        s.IPv4Address(id=IPV4_ID, value="198.51.100.3"),
        s.IPv6Address(value="2001:db8::1"),
        s.MACAddress(value="d2:fb:49:24:37:18"),
        s.Mutex(name="__CLEANSWEEP__"),
        s.NetworkTraffic(protocols=["ipv4", "tcp"], src_ref=IPV4_ID, src_port=4444, dst_port=443),
        s.Process(id=uid("process", 0), pid=1221, command_line="cmd.exe /c whoami"),
        s.Software(id=SOFTWARE_ID, name="Word", cpe="cpe:2.3:a:microsoft:word:2000:*:*:*:*:*:*:*",
                   vendor="Microsoft", version="2000"),
        s.URL(value="https://example.com/payload"),
        s.UserAccount(user_id="1001", account_login="jdoe", account_type="unix"),
        s.WindowsRegistryKey(key="HKEY_LOCAL_MACHINE\\System\\Foo"),
        s.X509Certificate(serial_number="36:f7:d4:32:f4:ab:70:ea:d3:ce:98:6e:ea:99:93:49:32:0a:b7:06",
                          issuer="C=ZA, ST=Western Cape"),
        s.MarkingDefinition(id=STATEMENT, created=T0, definition_type="statement",
                            definition=stix2.StatementMarking("Copyright 2021, Northland CERT")),
        s.LanguageContent(id=uid("language-content", 0), object_ref=INDICATOR, object_modified=T0,
                          contents={"de": {"name": "C2-Adresse"}}, **SDO),
        s.ExtensionDefinition(id=uid("extension-definition", 0), created_by_ref=IDENTITY, created=T0, modified=T0,
                              name="Hotline case", schema="https://example.invalid/schema.json",
                              version="1.0", extension_types=["property-extension"]),
        # SCOs with their references, as the stix2 library builds them.
        s.EmailMessage(is_multipart=False, subject="Re: invoice", from_ref=uid("email-addr", 1),
                       to_refs=[uid("email-addr", 2)], sender_ref=uid("email-addr", 1),
                       date="2021-03-04T05:06:07Z"),
        s.EmailAddress(value="jdoe@example.org", belongs_to_ref=uid("user-account", 1)),
        s.File(name="dropper.dll", parent_directory_ref=uid("directory", 1), contains_refs=[IPV4_ID],
               content_ref=uid("artifact", 1), size=1024, mtime=T1),
        s.Directory(path="C:\\Users", contains_refs=[FILE_ID, uid("directory", 2)]),
        s.IPv4Address(value="198.51.100.7", resolves_to_refs=[uid("mac-addr", 1)],
                      belongs_to_refs=[uid("autonomous-system", 1)]),
        s.Process(id=uid("process", 1), pid=4, image_ref=FILE_ID, parent_ref=uid("process", 0),
                  child_refs=[uid("process", 2)], creator_user_ref=uid("user-account", 1),
                  opened_connection_refs=[uid("network-traffic", 1)], created_time=T0),
        s.NetworkTraffic(protocols=["tcp"], dst_ref=uid("domain-name", 1), start=T0, end=T1, is_active=False,
                         src_payload_ref=uid("artifact", 1)),
        s.WindowsRegistryKey(key="HKEY_LOCAL_MACHINE\\Run", values=[{"name": "x", "data": "y"}],
                             creator_user_ref=uid("user-account", 1)),
        s.Artifact(id=uid("artifact", 2), url="https://example.invalid/a.bin",
                   hashes={"SHA-256": "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f"}),
        s.MalwareAnalysis(id=uid("malware-analysis", 1), product="av", analysis_sco_refs=[FILE_ID],
                          host_vm_ref=SOFTWARE_ID, operating_system_ref=SOFTWARE_ID,
                          installed_software_refs=[SOFTWARE_ID], submitted=T0, analysis_started=T0,
                          analysis_ended=T1, **SDO),
        s.Relationship(id=uid("relationship", 1), relationship_type="related-to",
                       source_ref=IPV4_ID, target_ref=FILE_ID, **SDO),
    ]
    out = []
    seen = {}
    for o in objs:
        d = json.loads(o.serialize())
        n = seen.get(d["type"], 0)
        seen[d["type"]] = n + 1
        out.append(("%s-%d" % (d["type"], n), d))
    # The TLP 1.0 markings the library ships, and TLP 2.0 ones by FIRST's ids.
    for name, m in [("white", stix2.TLP_WHITE), ("green", stix2.TLP_GREEN),
                    ("amber", stix2.TLP_AMBER), ("red", stix2.TLP_RED)]:
        out.append(("marking-definition-tlp1-" + name, json.loads(m.serialize())))
    for level, u in [("clear", "94868c89-83c2-464b-929b-a1a8aa3c8487"),
                     ("green", "bab4a63c-aed9-4cf5-a766-dfca5abac2bb"),
                     ("amber", "55d920b0-5e8b-4f79-9ee9-91f868d9b421"),
                     ("amber+strict", "939a9414-2ddd-4d32-a0cd-375ea402b003"),
                     ("red", "e828b379-4e03-4974-9ac4-e53a884c97c1")]:
        out.append(("marking-definition-tlp2-" + level.replace("+", "-"), {
            "type": "marking-definition", "spec_version": "2.1",
            "id": "marking-definition--" + u, "created": "2022-10-01T00:00:00.000Z",
            "name": "TLP:" + level.upper(),
            "extensions": {TLP2_EXT: {"extension_type": "property-extension", "tlp_2_0": level}},
        }))
    # Custom objects (§11): one SDO-like, one SCO-like.
    out.append(("custom-sdo", {"type": "x-northland-case", "spec_version": "2.1",
                               "id": uid("x-northland-case", 0), "created": T0, "modified": T0,
                               "name": "Case 7", "x_priority": 2}))
    out.append(("custom-sco", {"type": "x-northland-sensor", "id": uid("x-northland-sensor", 0),
                               "value": "sensor-7"}))
    # Markings in use: object and granular.
    ind = copy.deepcopy(dict(out)["indicator-0"])
    ind["object_marking_refs"] = ["marking-definition--" + "94868c89-83c2-464b-929b-a1a8aa3c8487"]
    ind["granular_markings"] = [{"marking_ref": STATEMENT, "selectors": ["name", "indicator_types.[0]"]}]
    ind["confidence"] = 80
    ind["lang"] = "en"
    ind["labels"] = ["c2"]
    ind["external_references"] = [{"source_name": "northland", "url": "https://example.invalid/r/1",
                                   "hashes": {"SHA-256": "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f"}}]
    out.append(("indicator-marked", ind))
    return out


PATTERNS_VALID = [
    "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
    "[email-message:from_ref.value MATCHES '.+\\\\@example\\\\.com$' AND email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\\\.exe$']",
    "[ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value = '203.0.113.33/32' OR ipv6-addr:value = '2001:0db8:dead:beef:dead:beef:dead:0001/128']",
    "[domain-name:value = 'www.5z8.info' AND domain-name:resolves_to_refs[*].value = '198.51.100.1/32']",
    "[url:value = 'http://example.com/foo'] AND [url:value = 'http://example.com/bar'] WITHIN 5 SECONDS",
    "([file:name = 'foo.dll'] AND [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar']) OR [process:name = 'fooproc' OR process:name = 'procfoo']",
    "[file:size > 10 AND file:size <= 1024] REPEATS 5 TIMES WITHIN 1800 SECONDS",
    "[network-traffic:dst_port IN (443, 8443) AND network-traffic:protocols[0] NOT = 'tcp'] FOLLOWEDBY [x-foo:bar NOT = true]",
    "[file:created > t'2016-01-01T00:00:00Z'] START t'2016-01-01T00:00:00Z' STOP t'2016-02-01T00:00:00.123Z'",
    "[artifact:payload_bin = b'dGhpcyBpcyBhIHRlc3Q=' OR artifact:payload_bin = h'0aff']",
    "[process:pid = -1 OR process:x_cmd ISSUBSET '1.2.3.4/8' OR EXISTS process:x_cmd]",
    "[x-foo:abc = 1.5 AND x-foo:def != -.5 AND x-foo:ghi <> 0 AND x-foo:jkl == +7]",
    "[x-foo:abc IN ()]",
    "[file:name = 'a'] // a comment",
    "[file:name /* inline */ = 'a']",
    "[file:name LIKE 'foo%'] OR [file:name = 'b'] FOLLOWEDBY [file:name = 'c'] AND [file:name = 'd']",
    "(([file:name = 'a'] WITHIN 5 SECONDS) REPEATS 2 TIMES) START t'2016-01-01T00:00:00Z' STOP t'2017-01-01T00:00:00Z'",
    "([file:name = 'a']) WITHIN 5 SECONDS WITHIN 6 SECONDS",
    "[file:name = 'a'] WITHIN 5 SECONDS REPEATS 2 TIMES",
    "[file:name = 'a'] WITHIN 0.5 SECONDS",
    "[file:name = 'a'] REPEATS 0 TIMES",
    "[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]",
    "[file:parent_directory_ref.path ISSUPERSET 'C:\\\\']",
    "[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
    "[file:name = 'it\\'s']",
    "[file:name = '']",
    "[file:name = 'é ü 中']",
    "[windows-registry-key:values[0].data = 'x' AND windows-registry-key:values[-1].name = 'y']",
    "[user-account:account_login = 'root' AND user-account:is_privileged = false]",
    "[file:mtime < t'2016-12-31T23:59:60Z']",
    "[file:size >= +1024]",
    "[file:name = 'a']AND[file:name = 'b']",
    "[ file:name = 'a' ]\t\n",
    "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']",
    "[file:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']",
    "[file:hashes.TLSH = 'anything']",
    "[file:hashes.SSDEEP = '3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C']",
    "[x-acme-sensor:reading = 3]",
    "[file:name = 'a'] FOLLOWEDBY ([file:name = 'b'] OR [file:name = 'c'])",
    "[file:name = b'AAAA']",
    "[file:name = h'']",
    "[file:name IN ('a', 'b', 1, true, t'2016-01-01T00:00:00Z')]",
    "[(file:name = 'a' OR file:name = 'b') AND file:size = 3]",
    "[file:name NOT LIKE 'a' AND file:name NOT MATCHES 'b' AND file:name NOT IN ('c')]",
]

PATTERNS_INVALID = [
    "", "[]", "[file:name = 'a'", "file:name = 'a'", "[file:name = 'a'] AND",
    "[file:name 'a']", "[file:name = 'a' AND]", "[file:name < true]", "[file:name LIKE 5]",
    "[file:name IN 'a']", "[file:name = 'a'] WITHIN -5 SECONDS", "[file:name = 'a'] WITHIN 5",
    "[file:name = 'a'] REPEATS 1.5 TIMES",
    "[file:name = 'a'] START '2016-01-01T00:00:00Z' STOP t'2016-01-01T00:00:00Z'",
    "[file:name = t'2016-13-01T00:00:00Z']", "[file:name = t'2016-01-01T00:00:00']",
    "[file:name = h'abc']", "[file:name = b'abc']", "[file:name = 'a\\n']",
    "[file:name = 'a'] and [file:name = 'b']", "[file:name = 01]",
    "[file:name = 'a'] WITHIN 5 SECONDS WITHIN 6 SECONDS",
    "[file:name = 'a'] REPEATS 2 TIMES REPEATS 3 TIMES",
    "[file:hashes.MD5 = 'nothex']", "[file:hashes.'SHA-256' = 'aa']",
    "[File:name = 'a']", "[file:ab = 'a']", "[file:na-me = 'a']", "[fi:name = 'a']",
    "[file:name = 'a'] /* open", "[file:name ~ 'a']", "[file:name = 'a'] OR",
    "[file:name = 'a'] FOLLOWEDBY", "[file:name = 'a']]", "[[file:name = 'a']]",
    "([file:name = 'a']", "[file:name = 'a'])", "[file:name = 'a' OR [file:name = 'b']]",
    "[file:name = 'a'] WITHIN 5 MINUTES", "[EXISTS file:name = 'a']", "[NOT file:name = 'a']",
    "[file:name == == 'a']", "[file:name = 'a'] START t'2016-01-01T00:00:00Z'",
    "[file:.name = 'a']", "[file:name. = 'a']", "[file:name[] = 'a']", "[file:name[a] = 'a']",
    "[file:name = 'a',]", "[file:name IN ('a',)]", "[file:name IN (('a'))]",
    "[file:name = True]", "[file:name = 'a'] WITHIN 5 SECONDS AND", "[file:name > b]",
    "[file:name = 'a'] xor [file:name = 'b']", "[file:name = 1.]", "[file:name = 1.2.3]",
    "[x--foo:abc = 1]", "[x-foo-:abc = 1]",
]


def pattern_variants():
    """(name, pattern): the lists above and one-byte deletions of a few."""
    out = [("valid-%02d" % i, p) for i, p in enumerate(PATTERNS_VALID)]
    out += [("invalid-%02d" % i, p) for i, p in enumerate(PATTERNS_INVALID)]
    for k in [0, 4, 6, 7, 8, 9, 10, 16]:
        p = PATTERNS_VALID[k]
        seen = set()
        for i in range(len(p)):
            q = p[:i] + p[i + 1:]
            if q not in seen:
                seen.add(q)
                out.append(("del-%02d-%03d" % (k, i), q))
        for i in range(0, len(p), 3):
            for c in "'[ ":
                q = p[:i] + c + p[i:]
                if q not in seen:
                    seen.add(q)
                    out.append(("ins-%02d-%03d-%d" % (k, i, ord(c)), q))
    out += token_soup(PATTERNS_VALID, 25, 14)
    return out


TOKENS = ["[", "]", "(", ")", ":", ".", ",", "*", "=", "==", "!=", "<>", "<", "<=", ">", ">=",
          " AND ", " OR ", " NOT ", " FOLLOWEDBY ", " IN ", " LIKE ", " MATCHES ", " ISSUBSET ",
          " ISSUPERSET ", " EXISTS ", " WITHIN 5 SECONDS", " REPEATS 2 TIMES", " START ", " STOP ",
          "t'2016-01-01T00:00:00Z'", "t'2016-01-01T00:00:00.5Z'", "b'AAAA'", "h'0a'", "'s'", "'\\''",
          "true", "false", "0", "-1", "+2", "1.5", "-.5", "01", "x", "file", "name", "x-foo",
          "file:name", "hashes.MD5", " ", "/* c */", "t", "h", "b", "and", "SECONDS", "TIMES"]


def token_soup(patterns, per_pattern, seed):
    """Deterministic random edits of patterns: a token inserted, replaced or
    two spans swapped, so the lexer's and parser's corners meet the oracle."""
    import random
    rnd = random.Random(seed)
    out = []
    for k, p in enumerate(patterns):
        for j in range(per_pattern):
            q = p
            for _ in range(rnd.randint(1, 3)):
                i = rnd.randrange(len(q) + 1)
                op = rnd.randrange(3)
                t = rnd.choice(TOKENS)
                if op == 0:
                    q = q[:i] + t + q[i:]
                elif op == 1:
                    q = q[:i] + t + q[i + rnd.randint(1, 6):]
                else:
                    a, b = sorted((i, rnd.randrange(len(q) + 1)))
                    q = q[a:b] + q[:a] + q[b:]
            out.append(("soup-%02d-%02d" % (k, j), q))
    return out


def mutations(name, obj):
    """(name, dict) mutations of one valid object."""
    out = []
    ty = obj["type"]
    for k in sorted(obj):
        if k == "type":
            continue
        m = copy.deepcopy(obj)
        del m[k]
        out.append(("drop-" + k, m))

    def put(tag, key, val):
        m = copy.deepcopy(obj)
        m[key] = val
        out.append((tag, m))

    u = obj["id"].split("--", 1)[1]
    put("id-other-type", "id", ("malware--" if ty != "malware" else "tool--") + u)
    put("id-short-uuid", "id", obj["id"][:-1])
    put("id-no-dashes", "id", ty + "-" + u)
    put("id-upper-type", "id", ty.upper() + "--" + u)
    put("id-uuid-version-0", "id", ty + "--" + u[:14] + "0" + u[15:])
    put("id-uuidv1", "id", ty + "--" + u[:14] + "1" + u[15:])
    put("type-upper", "type", ty.upper())
    put("type-short", "type", "ab")
    put("spec-version-2.0", "spec_version", "2.0")
    put("spec-version-number", "spec_version", 2.1)
    for k, v in sorted(obj.items()):
        if isinstance(v, str) and len(v) >= 20 and v[4:5] == "-" and v[10:11] == "T" and v.endswith("Z"):
            put("ts-%s-month13" % k, k, "2021-13-04T05:06:07.123Z")
            put("ts-%s-feb30" % k, k, "2021-02-30T05:06:07.123Z")
            put("ts-%s-space" % k, k, v.replace("T", " "))
            put("ts-%s-offset" % k, k, v[:-1] + "+00:00")
            put("ts-%s-seconds-only" % k, k, v[:19] + "Z")
            put("ts-%s-centis" % k, k, v[:22] + "Z")
            put("ts-%s-micros" % k, k, v[:23] + "456Z")
            put("ts-%s-hour24" % k, k, v[:11] + "24" + v[13:])
    if "created" in obj and "modified" in obj:
        put("modified-before-created", "modified", "2020-01-01T00:00:00.000Z")
        put("modified-equals-created", "modified", obj["created"])
    for k, v in sorted(obj.items()):
        if k.endswith("_ref") and isinstance(v, str):
            put("ref-%s-identity" % k, k, IDENTITY)
            put("ref-%s-malware" % k, k, MALWARE)
            put("ref-%s-marking" % k, k, STATEMENT)
            put("ref-%s-relationship" % k, k, uid("relationship", 0))
            put("ref-%s-not-an-id" % k, k, "not-an-id")
            put("ref-%s-sco" % k, k, FILE_ID)
            put("ref-%s-list" % k, k, [v])
        if k.endswith("_refs") and isinstance(v, list):
            put("refs-%s-identity" % k, k, [IDENTITY])
            put("refs-%s-malware" % k, k, [MALWARE])
            put("refs-%s-file" % k, k, [FILE_ID])
            put("refs-%s-marking" % k, k, [STATEMENT])
            put("refs-%s-empty" % k, k, [])
            put("refs-%s-string" % k, k, v[0])
    if ty not in ("marking-definition",) and "created" in obj:
        put("created-by-malware", "created_by_ref", MALWARE)
        put("created-by-identity-bad-uuid", "created_by_ref", IDENTITY[:-2])
        put("marking-identity", "object_marking_refs", [IDENTITY])
        put("marking-tlp2-red", "object_marking_refs", ["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"])
        put("marking-self", "object_marking_refs", [obj["id"]])
        put("confidence-101", "confidence", 101)
        put("confidence-minus-1", "confidence", -1)
        put("confidence-50", "confidence", 50)
        put("confidence-string", "confidence", "50")
        put("lang-bad", "lang", "not a language")
        put("lang-en", "lang", "en")
        put("labels-empty", "labels", [])
        put("labels-ok", "labels", ["a"])
        put("labels-not-strings", "labels", [1])
        put("revoked-string", "revoked", "yes")
        put("extref-empty", "external_references", [{}])
        put("extref-source-only", "external_references", [{"source_name": "northland"}])
        put("extref-url", "external_references", [{"source_name": "northland", "url": "https://example.invalid/x"}])
        put("extref-cve-bad", "external_references", [{"source_name": "cve", "external_id": "X-1"}])
        put("extref-capec-bad", "external_references", [{"source_name": "capec", "external_id": "CVE-2020-1234"}])
        put("extref-bad-hash", "external_references",
            [{"source_name": "northland", "url": "https://example.invalid/x", "hashes": {"SHA-256": "abc"}}])
        put("granular-bad-selector", "granular_markings", [{"marking_ref": STATEMENT, "selectors": ["nope"]}])
        put("granular-good-selector", "granular_markings", [{"marking_ref": STATEMENT, "selectors": ["id"]}])
        put("granular-bad-index", "granular_markings", [{"marking_ref": STATEMENT, "selectors": ["id.[0]"]}])
        put("granular-identity", "granular_markings", [{"marking_ref": IDENTITY, "selectors": ["id"]}])
        put("granular-both", "granular_markings", [{"marking_ref": STATEMENT, "lang": "en", "selectors": ["id"]}])
        put("granular-lang", "granular_markings", [{"lang": "en", "selectors": ["id"]}])
        put("granular-no-selectors", "granular_markings", [{"marking_ref": STATEMENT}])
    # Every property with a value of the wrong JSON type.
    for k, v in sorted(obj.items()):
        if k in ("type", "id"):
            continue
        if isinstance(v, str):
            put("jtype-%s-number" % k, k, 5)
        elif isinstance(v, bool):
            put("jtype-%s-string" % k, k, "true")
        elif isinstance(v, (int, float)):
            put("jtype-%s-string" % k, k, str(v))
        elif isinstance(v, list):
            put("jtype-%s-scalar" % k, k, "x")
        elif isinstance(v, dict):
            put("jtype-%s-list" % k, k, ["x"])
    if ty in ("attack-pattern", "indicator", "infrastructure", "malware", "tool"):
        kc = "lockheed-martin-cyber-kill-chain"
        put("kcp-ok", "kill_chain_phases", [{"kill_chain_name": kc, "phase_name": "reconnaissance"}])
        put("kcp-no-phase", "kill_chain_phases", [{"kill_chain_name": kc}])
        put("kcp-no-chain", "kill_chain_phases", [{"phase_name": "reconnaissance"}])
        put("kcp-not-list", "kill_chain_phases", {"kill_chain_name": kc, "phase_name": "x"})
        put("kcp-phase-number", "kill_chain_phases", [{"kill_chain_name": kc, "phase_name": 3}])
        put("kcp-upper", "kill_chain_phases", [{"kill_chain_name": "Lockheed Martin", "phase_name": "Recon"}])
    if "created" in obj:
        put("extensions-not-dict", "extensions", ["x"])
        put("extensions-bad-ext-id", "extensions", {"extension-definition--1234": {"extension_type": "property-extension"}})
        put("extensions-ext-not-object", "extensions",
            {uid("extension-definition", 0): "x"})
        put("extensions-ok", "extensions",
            {uid("extension-definition", 0): {"extension_type": "property-extension", "x_case": "7"}})
    put("custom-prop-bad-name", "X", "y")
    put("custom-prop-short", "ab", "y")
    put("custom-prop-x", "x_northland_case", "y")
    put("custom-prop-no-prefix", "northland_case", "y")
    put("empty-list-custom", "x_list", [])
    if ty == "indicator":
        put("valid-until-before-from", "valid_until", "2020-01-01T00:00:00Z")
        put("valid-until-equals-from", "valid_until", obj["valid_from"])
        put("pattern-type-other", "pattern_type", "snort")
        put("pattern-type-other-bad-pattern", "pattern", "alert tcp any any")
        put("pattern-not-string", "pattern", 5)
        put("indicator-types-custom", "indicator_types", ["northland-special"])
        for i, p in enumerate(PATTERNS_VALID + PATTERNS_INVALID):
            put("pattern-%03d" % i, "pattern", p)
    if ty in ("campaign", "intrusion-set", "sighting"):
        put("last-seen-before-first", "last_seen", "2020-01-01T00:00:00Z")
    if ty == "relationship" and "start_time" in obj:
        put("stop-before-start", "stop_time", "2020-01-01T00:00:00Z")
        put("stop-equals-start", "stop_time", obj["start_time"])
        put("relationship-type-bad", "relationship_type", "Indicates!")
    if ty == "observed-data":
        put("last-observed-before-first", "last_observed", "2020-01-01T00:00:00Z")
        put("number-observed-0", "number_observed", 0)
        put("objects-and-refs", "objects", {"0": {"type": "ipv4-addr", "value": "198.51.100.3"}})
    if ty == "sighting":
        put("count-negative", "count", -1)
    if ty == "opinion":
        put("opinion-bad", "opinion", "maybe")
    if ty == "malware":
        put("is-family-string", "is_family", "true")
        m = copy.deepcopy(obj)
        del m["name"]
        out.append(("family-without-name", m))
    if ty == "location":
        put("latitude-91", "latitude", 91)
        put("longitude-181", "longitude", 181)
        put("latitude-only", "latitude", 10)
    if ty == "marking-definition":
        if obj.get("definition_type") == "tlp":
            put("tlp1-wrong-level", "definition", {"tlp": "red" if obj["definition"]["tlp"] != "red" else "green"})
            put("tlp1-other-id", "id", uid("marking-definition", 7))
        if "extensions" in obj:
            m = copy.deepcopy(obj)
            m["id"] = uid("marking-definition", 8)
            out.append(("tlp2-other-id", m))
            m = copy.deepcopy(obj)
            lvl = m["extensions"][TLP2_EXT]["tlp_2_0"]
            m["extensions"][TLP2_EXT]["tlp_2_0"] = "red" if lvl != "red" else "clear"
            out.append(("tlp2-wrong-level", m))
        if obj.get("definition_type") == "statement":
            put("statement-missing", "definition", {"text": "x"})
        put("marking-modified", "modified", T1)
    if ty == "file" and "hashes" in obj:
        put("hash-md5-bad", "hashes", {"MD5": "xyz"})
        put("hash-sha256-upper", "hashes", {"SHA-256": obj["hashes"]["SHA-256"].upper()})
        put("hashes-empty", "hashes", {})
        put("hash-sha1-ok", "hashes", {"SHA-1": "da39a3ee5e6b4b0d3255bfef95601890afd80709"})
        put("hash-sha1-short", "hashes", {"SHA-1": "da39a3ee"})
        put("hash-custom-name", "hashes", {"x_northland": "abc"})
        put("hash-lower-name", "hashes", {"sha256": "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f"})
        put("hash-tlsh", "hashes", {"TLSH": "T1A2B3"})
        put("hash-sha512-bad", "hashes", {"SHA-512": "00"})
        put("hash-sha3-256-ok", "hashes", {"SHA3-256": "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a"})
        put("hash-ssdeep", "hashes", {"SSDEEP": "3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C"})
        put("hash-value-number", "hashes", {"MD5": 5})
        put("size-negative", "size", -1)
        put("size-ok", "size", 10)
    if ty == "network-traffic" and "end" in obj:
        put("active-with-end", "is_active", True)
    if ty == "network-traffic" and "end" in obj:
        put("active-with-end", "is_active", True)
    if ty == "artifact":
        put("artifact-both", "url", "https://example.invalid/a")
    if ty == "language-content":
        put("contents-bad-lang", "contents", {"not a lang": {"name": "x"}})
    if ty == "extension-definition":
        put("extension-types-bad", "extension_types", ["new-thing"])
    return [(name + "--" + t, m) for t, m in out]


def bundle(objs, n):
    return {"type": "bundle", "id": uid("bundle", n), "objects": objs}


def oracle_bundle(b):
    try:
        res = validate_parsed_json(b, ValidationOptions(version="2.1"))
    except Exception as e:  # the validator itself failing counts as invalid
        return {"valid": False, "errors": ["validator exception: %s: %s" % (type(e).__name__, e)]}
    results = res if isinstance(res, list) else [res]
    errors = []
    for r in results:
        for e in r.errors:
            errors.append(str(e))
    return {"valid": all(r.is_valid for r in results), "errors": errors}


def oracle_pattern(p):
    try:
        errs = run_validator(p, "2.1")
    except Exception as e:
        return {"valid": False, "errors": ["validator exception: %s: %s" % (type(e).__name__, e)]}
    return {"valid": not errs, "errors": [str(e) for e in errs]}


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: oracle.py OUT_DIR")
    out = sys.argv[1]
    os.makedirs(os.path.join(out, "bundles"), exist_ok=True)
    os.makedirs(os.path.join(out, "patterns"), exist_ok=True)
    verdicts = {"bundles": {}, "patterns": {}}
    cases = []
    valid = valid_objects()
    for name, o in valid:
        cases.append(("valid-" + name, [o]))
    cases.append(("valid-all-in-one", [o for _, o in valid]))
    for name, o in valid:
        for mname, m in mutations(name, o):
            cases.append(("mut-" + mname, [m]))
    # Bundle-level mutations.
    ind = dict(valid)["indicator-0"]
    raw = {
        "bundle-wrong-type": {"type": "bundel", "id": uid("bundle", 1), "objects": [ind]},
        "bundle-bad-id": {"type": "bundle", "id": uid("report", 1), "objects": [ind]},
        "bundle-no-id": {"type": "bundle", "objects": [ind]},
        "bundle-objects-not-list": {"type": "bundle", "id": uid("bundle", 1), "objects": ind},
        "bundle-objects-empty": {"type": "bundle", "id": uid("bundle", 1), "objects": []},
        "bundle-nested-bundle": {"type": "bundle", "id": uid("bundle", 1),
                                 "objects": [{"type": "bundle", "id": uid("bundle", 2), "objects": [ind]}]},
    }
    for i, (name, objs) in enumerate(cases):
        b = bundle(objs, i)
        verdicts["bundles"][name] = oracle_bundle(b)
        with open(os.path.join(out, "bundles", name + ".json"), "w") as f:
            json.dump(b, f, indent=1, ensure_ascii=False)
    for name, b in raw.items():
        verdicts["bundles"][name] = oracle_bundle(b)
        with open(os.path.join(out, "bundles", name + ".json"), "w") as f:
            json.dump(b, f, indent=1, ensure_ascii=False)
    for name, p in pattern_variants():
        verdicts["patterns"][name] = oracle_pattern(p)
        with open(os.path.join(out, "patterns", name + ".txt"), "w", encoding="utf-8") as f:
            f.write(p)
    with open(os.path.join(out, "verdicts.json"), "w") as f:
        json.dump(verdicts, f, indent=1, sort_keys=True)
    nb = len(verdicts["bundles"])
    np_ = len(verdicts["patterns"])
    vb = sum(v["valid"] for v in verdicts["bundles"].values())
    vp = sum(v["valid"] for v in verdicts["patterns"].values())
    print("oracle: %d bundles (%d valid), %d patterns (%d valid) in %s" % (nb, vb, np_, vp, out))


if __name__ == "__main__":
    main()
