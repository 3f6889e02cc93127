#!/usr/bin/env bash
# Runs the quickstart (the README's main job) and checks that every step of
# the flow was printed and that it exited 0. Arguments after the binary go
# to it (--pfs: also checks that temporary keys were bound).
set -euo pipefail
out="$("$1" "${@:2}" 2>&1)" || { echo "$out"; echo "quickstart exited non-zero"; exit 1; }
echo "$out"
for step in "bot: logged in with its token" "user: 2FA password proven (SRP)" \
            "bot: update received" "user: reply received" "user: file uploaded" \
            "bot: file downloaded" "quickstart: all steps passed"; do
  grep -qF "$step" <<<"$out" || { echo "missing step: $step"; exit 1; }
done
grep -qF 'echo: Hello from mtcore!' <<<"$out" || { echo "the echo did not arrive"; exit 1; }
if [[ " ${*:2} " == *" --pfs "* ]]; then
  grep -qE 'PFS: temporary keys bound +bot [1-9][0-9]*, user [1-9]' <<<"$out" ||
    { echo "no temporary key bound with --pfs"; exit 1; }
fi
