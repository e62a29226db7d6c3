#!/usr/bin/env python3
"""Summarise criterion results (target/criterion) as the tables in docs/benchmarks.md.

Run after `cargo bench -p hotline-core -p hotline-log -p hotline-store`:

    python3 scripts/bench_report.py [target/criterion]

Prints every benchmark's median time per iteration and rate, then the ratios
against the baselines measured in the same run (raw Ed25519 verify, SHA-256).
"""

import json
import pathlib
import sys


def load(root):
    out = {}
    for bench in root.glob("**/new/benchmark.json"):
        meta = json.loads(bench.read_text())
        est = json.loads((bench.parent / "estimates.json").read_text())
        median_ns = est["median"]["point_estimate"]
        tp = meta.get("throughput") or {}
        out[meta["full_id"]] = (median_ns, tp)
    return out


def rate(median_ns, tp):
    if "Elements" in tp:
        return tp["Elements"] / (median_ns / 1e9), "/s"
    if "Bytes" in tp:
        return tp["Bytes"] / (median_ns / 1e9) / (1 << 20), "MiB/s"
    return 1e9 / median_ns, "iter/s"


def human_time(ns):
    for unit, f in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= f:
            return f"{ns / f:.3g} {unit}"
    return f"{ns:.3g} ns"


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")
    b = load(root)
    if not b:
        sys.exit(f"no criterion results under {root}: run cargo bench first")
    print("| benchmark | median time | rate |")
    print("|---|---:|---:|")
    for k in sorted(b):
        ns, tp = b[k]
        r, unit = rate(ns, tp)
        print(f"| `{k}` | {human_time(ns)} | {r:,.0f} {unit} |")

    def per_s(key):
        ns, tp = b[key]
        return rate(ns, tp)[0]

    print()
    print("| figure | ratio | against |")
    print("|---|---:|---|")
    pairs = [
        ("head/verify", "baseline/ed25519_verify_raw", "raw Ed25519 verify"),
        ("head/sign", "baseline/ed25519_sign_raw", "raw Ed25519 sign"),
        ("commitment/commit_10mib_attachment", "baseline/sha256_1mib_raw", "SHA-256 MiB/s"),
        ("commitment/seal_10mib_attachment", "baseline/sha256_1mib_raw", "SHA-256 MiB/s"),
        ("commitment/open_10mib_attachment", "baseline/sha256_1mib_raw", "SHA-256 MiB/s"),
    ]
    for n in (1, 10, 100, 1000):
        pairs.append((f"envelope/seal/{n}", "baseline/hpke_seal_32b_raw", "raw HPKE seal (per envelope)"))
        pairs.append((f"envelope/open/{n}", "baseline/ed25519_verify_raw", "raw Ed25519 verify"))
    for backend in ("memory", "sqlite", "postgres"):
        for batch in (1, 64, 1024):
            pairs.append((f"append_{backend}/{batch}", "baseline/store_sha256_64b_raw", "SHA-256 of 64 B"))
    for batch in (1, 64, 1024):
        pairs.append((f"append_memory/{batch}", "baseline/sha256_64b_raw", "SHA-256 of 64 B (log run)"))
    for p in ("inclusion_generate", "inclusion_verify", "consistency_generate", "consistency_verify"):
        pairs.append((f"proofs_1m/{p}", "baseline/sha256_64b_raw", "SHA-256 of 64 B"))
    pairs.append(("verify_log_1m/from_tiles", "baseline/sha256_64b_raw", "SHA-256 of 64 B"))
    for a, base, what in pairs:
        if a in b and base in b:
            print(f"| `{a}` | {per_s(a) / per_s(base):.4g} | {what} |")


if __name__ == "__main__":
    main()
