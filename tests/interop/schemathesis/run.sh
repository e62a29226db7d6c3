#!/usr/bin/env bash
# Schemathesis against a running, seeded relay.
#
#   run.sh SEED_JSON REPORT_DIR
#
# SEED_JSON is written by crates/cli/tests/relay_schemathesis.rs (the relay's URL, a seeded
# channel and the keys of one of its members and of one of its parties); hooks.py signs every
# request with them (RFC 9421) and steers path parameters to the seeded channel, and adds the
# `problem_document` check (every error is an RFC 9457 problem). The schema is read from the
# repository's file, crates/relay/src/openapi.json, not from the relay, so that an edit to it
# takes effect without rebuilding the relay (the relay serves the same file, compiled in).
#
# Every check is on (`--checks all`, which includes the hooks' custom check, and
# `--max-response-time`, which is only on when given a limit). None is excluded:
# - ignored_auth works as meant: its probes strip the credentials (hooks.py signs through a
#   `requests` auth object, which Schemathesis leaves off its probes) and the relay answers 401;
# - every request, retries and probes included, is signed afresh (a new nonce each time),
#   so the relay's replay protection never refuses one of our requests;
# - stateful checks (use_after_free, ensure_resource_availability) run in the stateful phase.
# The expected statuses of positive_data_acceptance are widened by 422 for the operations
# carrying signed content only, with the reason in schemathesis.toml.
#
# The seed (--seed) is fixed and the example database is off, so that a run is reproducible;
# --max-examples bounds the run: about a minute on two cores (1,981 cases), well under three.
set -euo pipefail

if [ "$#" -ne 2 ]; then
  echo "usage: $0 SEED_JSON REPORT_DIR" >&2
  exit 2
fi
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
seed="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
report="$2"
mkdir -p "$report"
report="$(cd "$report" && pwd)"

url="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["url"])' "$seed")"

export HOTLINE_SEED="$seed"
export SCHEMATHESIS_HOOKS="$here/hooks.py"
# Hypothesis keeps nothing between runs (its example database is off below); its
# directory goes with the report rather than into the working directory.
export HYPOTHESIS_STORAGE_DIRECTORY="$report/.hypothesis"

rc=0
# Schemathesis keeps a cache (.schemathesis/) in its working directory: the report's.
cd "$report"
set -x
schemathesis --no-color --config-file "$here/schemathesis.toml" run \
  "$root/crates/relay/src/openapi.json" \
  --url "$url" \
  --checks all \
  --max-response-time 15 \
  --phases examples,coverage,fuzzing,stateful \
  --seed "${HOTLINE_SCHEMATHESIS_SEED:-20261202}" \
  --max-examples "${HOTLINE_SCHEMATHESIS_EXAMPLES:-100}" \
  --generation-database none \
  --workers 1 \
  --request-timeout 10 \
  --report junit,ndjson \
  --report-dir "$report" || rc=$?
set +x
# The test's report directory is temporary; keep a copy for a look afterwards.
if [ -n "${HOTLINE_SCHEMATHESIS_KEEP:-}" ]; then
  mkdir -p "$HOTLINE_SCHEMATHESIS_KEEP"
  cp -r "$report/." "$HOTLINE_SCHEMATHESIS_KEEP/"
  cp "$seed" "$HOTLINE_SCHEMATHESIS_KEEP/seed.json"
fi
exit "$rc"
