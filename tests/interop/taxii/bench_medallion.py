"""The anchor of `hotline bench taxii`: OASIS's medallion against Hotline's server.

Loads the objects of BUNDLE_FILE into OASIS's reference TAXII 2.1 server,
medallion (3.0.0, memory backend, max_page_size 1000), run as a child
process on 127.0.0.1; then pages through its collection and through
Hotline's `received` collection of CHANNEL at URL (the same objects) with
OASIS's taxii2-client (`as_pages`, 1000 objects a request), timing each walk.
Checks that both served every object. Prints a line per server, then the
figures as one line of JSON on stdout (read by `hotline bench taxii --medallion`);
the two lines go to stderr.

Needs `pip install medallion==3.0.0 taxii2-client==2.3.0`.

Usage: bench_medallion.py URL USER PASSWORD CHANNEL BUNDLE_FILE
       (run by `hotline bench taxii --medallion tests/interop/taxii/bench_medallion.py`)
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time

from taxii2client.v21 import Collection, as_pages

PER_REQUEST = 1000
COLLECTION = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_medallion(config):
    """Child mode: medallion's Flask app on the port in the config."""
    from werkzeug.serving import make_server

    from medallion import application_instance, register_blueprints, set_config

    with open(config, encoding="utf-8") as f:
        conf = json.load(f)
    for prop in ("users", "taxii", "backend"):
        set_config(application_instance, prop, conf)
    register_blueprints(application_instance)
    srv = make_server("127.0.0.1", conf["port"], application_instance, threaded=False)
    print("ready", flush=True)
    srv.serve_forever()


def medallion_data(objects, base):
    added = "2026-11-01T00:00:00.000Z"
    return {
        "/discovery": {
            "title": "medallion, bench",
            "description": "hotline bench taxii anchor",
            "default": f"{base}/api1/",
            "api_roots": [f"{base}/api1/"],
        },
        "api1": {
            "information": {
                "title": "bench",
                "description": "bench",
                "versions": ["application/taxii+json;version=2.1"],
                "max_content_length": 104857600,
            },
            "status": [],
            "collections": [
                {
                    "id": COLLECTION,
                    "title": "bench",
                    "description": "bench",
                    "can_read": True,
                    "can_write": False,
                    "media_types": ["application/stix+json;version=2.1"],
                    "objects": objects,
                    "manifest": [
                        {
                            "id": o["id"],
                            "date_added": added,
                            "version": o["modified"],
                            "media_type": "application/stix+json;version=2.1",
                        }
                        for o in objects
                    ],
                }
            ],
        },
    }


def walk(url, user, password):
    """(objects, seconds) paging through the collection at url."""
    c = Collection(url, user=user, password=password)
    t = time.perf_counter()
    n = 0
    for page in as_pages(c.get_objects, per_request=PER_REQUEST):
        n += len(page.get("objects", []))
    return n, time.perf_counter() - t


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--serve-medallion":
        serve_medallion(sys.argv[2])
        return
    url, user, password, channel, bundle_file = sys.argv[1:]
    with open(bundle_file, encoding="utf-8") as f:
        objects = json.load(f)["objects"]
    n = len(objects)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as d:
        data = os.path.join(d, "data.json")
        with open(data, "w", encoding="utf-8") as f:
            json.dump(medallion_data(objects, base), f)
        config = os.path.join(d, "config.json")
        with open(config, "w", encoding="utf-8") as f:
            json.dump(
                {
                    "port": port,
                    "users": {user: password},
                    "taxii": {"max_page_size": PER_REQUEST},
                    "backend": {
                        "module": "medallion.backends.memory_backend",
                        "module_class": "MemoryBackend",
                        "filename": data,
                    },
                },
                f,
            )
        child = subprocess.Popen(
            [sys.executable, __file__, "--serve-medallion", config],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            if child.stdout.readline().strip() != "ready":
                sys.exit("FAIL: medallion did not start")
            m_n, m_s = walk(f"{base}/api1/collections/{COLLECTION}/", user, password)
        finally:
            child.terminate()
            child.wait()

    h_n, h_s = walk(f"{url}/{channel}/collections/received/", user, password)
    if m_n != n or h_n != n:
        sys.exit(f"FAIL: {n} objects, medallion served {m_n}, hotline {h_n}")
    m_rate, h_rate = m_n / m_s, h_n / h_s
    print(
        f"medallion 3.0.0 (memory backend), taxii2-client: {n} objects in {m_s:.3f} s"
        f" = {m_rate:.0f} objects/s",
        file=sys.stderr,
    )
    print(
        f"hotline, taxii2-client: {n} objects in {h_s:.3f} s = {h_rate:.0f} objects/s"
        f" ({h_rate / m_rate:.0f}x)",
        file=sys.stderr,
    )
    print(
        json.dumps(
            {
                "objects": n,
                "medallion_seconds": m_s,
                "medallion_objects_per_s": m_rate,
                "hotline_seconds": h_s,
                "hotline_objects_per_s": h_rate,
            }
        )
    )


if __name__ == "__main__":
    main()
