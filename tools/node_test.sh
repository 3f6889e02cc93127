#!/bin/bash
# Runs JavaScript test files with node's test runner; JUnit XML goes where Bazel
# wants per-case results, the readable report to the test log.
set -euo pipefail
export NODE_PATH="${NODE_PATH:-}:$PWD/node_modules:/usr/share/nodejs"
args=(--preserve-symlinks --preserve-symlinks-main --test --test-reporter=spec --test-reporter-destination=stdout)
if [ -n "${XML_OUTPUT_FILE:-}" ]; then
  args+=(--test-reporter=junit --test-reporter-destination="$XML_OUTPUT_FILE")
fi
exec node "${args[@]}" "$@"
