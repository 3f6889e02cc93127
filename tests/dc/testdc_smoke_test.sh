#!/bin/bash
# Launches the testdc binary on free ports, checks what it prints (one line
# per DC, the PEM key, the fingerprint, "ready", flushed before it serves)
# and that SIGTERM ends it with status 0; malformed --secret values fail.
set -u
BIN="$1"
OUT="${TEST_TMPDIR:-/tmp}/testdc_smoke.out"
"$BIN" --port=0 --seed=3 >"$OUT" 2>&1 &
PID=$!
for _ in $(seq 1 600); do
  grep -q '^ready$' "$OUT" && break
  kill -0 "$PID" 2>/dev/null || { echo "testdc exited early:"; cat "$OUT"; exit 1; }
  sleep 0.1
done
grep -q '^ready$' "$OUT" || { echo "no ready line after 60 s:"; cat "$OUT"; kill "$PID"; exit 1; }
fail=0
for n in 1 2 3 4 5; do
  grep -Eq "^dc=$n addr=127\.0\.0\.1:[0-9]+$" "$OUT" || { echo "no address line for dc $n"; fail=1; }
done
grep -q '^-----BEGIN RSA PUBLIC KEY-----$' "$OUT" || { echo "no PEM"; fail=1; }
grep -Eq '^fingerprint=[0-9a-f]{16}$' "$OUT" || { echo "no fingerprint line"; fail=1; }
grep -Eq '^fingerprint_signed=-?[0-9]+$' "$OUT" || { echo "no signed fingerprint line"; fail=1; }
# Something listens on DC 2's port.
PORT2=$(sed -n 's/^dc=2 addr=127\.0\.0\.1:\([0-9]*\)$/\1/p' "$OUT")
(exec 3<>"/dev/tcp/127.0.0.1/$PORT2") || { echo "cannot connect to dc 2 on $PORT2"; fail=1; }
kill -TERM "$PID"
wait "$PID"
status=$?
[ "$status" -eq 0 ] || { echo "exit status $status after SIGTERM"; cat "$OUT"; fail=1; }
# Malformed MTProxy secrets are refused at start (ee: key + TLS domain in hex).
KEY=000102030405060708090a0b0c0d0e0f
for bad in "ee$KEY" "ee${KEY}6" "ee${KEY}zz" "ee${KEY}20" "dd${KEY}00" "${KEY}00"; do
  if "$BIN" --port=0 --secret="$bad" >"$OUT.bad" 2>&1; then
    echo "--secret=$bad was accepted"; fail=1
  elif ! grep -q 'INVALID_ARGUMENT' "$OUT.bad"; then
    echo "--secret=$bad: no INVALID_ARGUMENT message:"; cat "$OUT.bad"; fail=1
  fi
done
[ "$fail" -eq 0 ] && echo "testdc smoke test passed"
exit "$fail"
