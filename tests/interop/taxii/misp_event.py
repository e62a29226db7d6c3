"""Real-world STIX 2.1 content: a MISP event exported by MISP's own converter.

MISP exports events to STIX 2.1 with `misp-stix` (the MISP project's
converter, PyPI `misp-stix`, used by MISP's "Download as STIX 2.1"). This
script builds a MISP event as a CERT would (attributes of the common types,
MISP objects for a file and a domain/IP pair, a TLP tag, a galaxy-free
report), converts it with misp-stix, and writes the bundle misp-stix
serialised, unchanged, to OUT. Run by crates/cli/tests/taxii_misp.rs.

Usage: misp_event.py OUT
"""

import sys

from misp_stix_converter import MISPtoSTIX21Parser
from pymisp import MISPEvent, MISPObject


def main():
    (out,) = sys.argv[1:]
    ev = MISPEvent()
    ev.info = "Spear-phishing against the energy ministry: staging servers and dropper"
    ev.distribution = 0
    ev.threat_level_id = 2
    ev.analysis = 2
    ev.add_tag("tlp:amber")
    ev.add_attribute("ip-dst", "203.0.113.7", to_ids=True, comment="C2, seen 2026-11-28")
    ev.add_attribute("domain", "update-check.example", to_ids=True)
    ev.add_attribute("hostname", "cdn.update-check.example", to_ids=True)
    ev.add_attribute("url", "https://update-check.example/payload.bin", to_ids=True)
    ev.add_attribute("email-src", "hr@ministry-energy.example", to_ids=True)
    ev.add_attribute("email-subject", "Revised allowances 2027", to_ids=False)
    ev.add_attribute(
        "sha256", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", to_ids=True
    )
    ev.add_attribute("md5", "098f6bcd4621d373cade4e832627b4f6", to_ids=True)
    ev.add_attribute("filename", "allowances_2027.docm", to_ids=False)
    ev.add_attribute("vulnerability", "CVE-2026-1234", to_ids=False)
    ev.add_attribute("AS", "64500", to_ids=False)
    ev.add_attribute("text", "Delivered to 14 mailboxes between 06:10 and 06:40 UTC.", to_ids=False)

    f = MISPObject("file")
    f.add_attribute("filename", "allowances_2027.docm")
    f.add_attribute("sha256", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
    f.add_attribute("size-in-bytes", 48213)
    ev.add_object(f)
    di = MISPObject("domain-ip")
    di.add_attribute("domain", "update-check.example")
    di.add_attribute("ip", "203.0.113.7")
    ev.add_object(di)

    parser = MISPtoSTIX21Parser()
    parser.parse_misp_event(ev.to_dict())
    with open(out, "w", encoding="utf-8") as fh:
        fh.write(parser.bundle.serialize())


if __name__ == "__main__":
    main()
