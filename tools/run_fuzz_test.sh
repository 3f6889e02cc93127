#!/bin/bash
# Runs a cc_fuzz_test binary: `fuzz` mode (libFuzzer for a fixed time from the
# seeds, new inputs kept in $TEST_TMPDIR) or `replay` mode (seeds + mutations).
set -euo pipefail
mode=$1 bin=$2 corpus=$3 seconds=$4
seeds=()
[ -n "$corpus" ] && [ -d "$corpus" ] && seeds=("$corpus")
if [ "$mode" = fuzz ]; then
  scratch="${TEST_TMPDIR:-$(mktemp -d)}/corpus"
  mkdir -p "$scratch"
  exec "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 "$scratch" "${seeds[@]}"
fi
exec "$bin" "${seeds[@]}"
