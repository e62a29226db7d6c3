#!/usr/bin/env bash
# Builds every fuzz target and runs each for N seconds (default 10).
# Uses `cargo fuzz` with a nightly toolchain if one is installed, else the
# stable toolchain with RUSTC_BOOTSTRAP=1 (libFuzzer needs -Z sanitizer flags).
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-10}"
if ! command -v cargo-fuzz >/dev/null; then
  cargo install cargo-fuzz --locked --quiet
fi
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  fuzz=(cargo +nightly fuzz)
else
  export RUSTC_BOOTSTRAP=1
  fuzz=(cargo fuzz)
fi
targets=$("${fuzz[@]}" list)
"${fuzz[@]}" build
for t in $targets; do
  mkdir -p "corpus/$t"
  if [ -d "seeds/$t" ]; then cp -n seeds/"$t"/* "corpus/$t/" 2>/dev/null || true; fi
  echo "fuzz: $t for ${secs}s"
  "${fuzz[@]}" run "$t" "corpus/$t" -- -max_total_time="$secs" -print_final_stats=0 > "logs-$t.txt" 2>&1 || { tail -n 40 "logs-$t.txt"; exit 1; }
  tail -n 1 "logs-$t.txt"
done
echo "fuzz: $(echo "$targets" | wc -w) targets ran ${secs}s each without a crash"
