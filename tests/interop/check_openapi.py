#!/usr/bin/env python3
"""The relay's OpenAPI document (served at /v1/openapi.json) is a valid
OpenAPI 3 document, checked by the third-party `openapi-spec-validator`, and
names every route the relay's router has (crates/relay/src/api.rs)."""

import json
import pathlib
import re
import sys

from openapi_spec_validator import validate

root = pathlib.Path(__file__).resolve().parents[2]
doc = json.loads((root / "crates/relay/src/openapi.json").read_text())
validate(doc)

routes = re.findall(r'\.route\(\s*"([^"]+)"', (root / "crates/relay/src/api.rs").read_text())
# axum's catch-all `{*path}` is `{path}` in OpenAPI.
routes = [r.replace("{*", "{") for r in routes]
missing = [r for r in routes if r not in doc["paths"]]
extra = [p for p in doc["paths"] if p not in routes]
if missing or extra or not routes:
    sys.exit(f"OpenAPI paths differ from the router: missing {missing}, not routed {extra}")
print(f"openapi: valid OpenAPI {doc['openapi']}, {len(routes)} routes, all documented")
