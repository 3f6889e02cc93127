#!/bin/bash
# Runs bench/tl_compare.mjs with node (see //bench:tl_compare).
set -euo pipefail
exec node "$@"
