#!/bin/bash
# Runs bench/crypto_compare.mjs with node (see //bench:crypto_compare).
set -euo pipefail
exec node "$@"
