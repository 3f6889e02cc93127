#!/usr/bin/env bash
# Runs the quickstart with --proxy=URL through the loopback test proxy
# (io/native:test_proxy_server): SOCKS5 with a username and password, then
# HTTP CONNECT given as localhost:PORT; checks every step passed and that
# the connections (the user's migration from DC 1 included) went through the
# proxy. Then a wrong
# password: the quickstart must fail with the proxy's reason, not hang.
set -euo pipefail
quickstart="$1"
proxy_bin="$2"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
pid=""
cleanup() { if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi; }
trap cleanup EXIT

# Starts the proxy (arguments go to it); sets $pid and $addr.
start_proxy() {
  cleanup
  : >"$tmp/proxy.out"
  "$proxy_bin" "$@" >"$tmp/proxy.out" 2>&1 &
  pid=$!
  addr=""
  for _ in $(seq 1 600); do  # up to 60 s on a loaded machine
    addr="$(sed -n 's/^listening=//p' "$tmp/proxy.out")"
    [[ -n "$addr" ]] && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$tmp/proxy.out"; echo "the test proxy did not start"; exit 1
}

check_run() {
  local url="$1" shown="$2"
  out="$("$quickstart" --proxy="$url" 2>&1)" || { echo "$out"; echo "quickstart --proxy=$url failed"; exit 1; }
  echo "$out"
  for step in "through $shown" "bot: logged in with its token" "user: 2FA password proven (SRP)" \
              "user: reply received" "bot: file downloaded" "quickstart: all steps passed"; do
    grep -qF "$step" <<<"$out" || { echo "missing: $step"; exit 1; }
  done
  dc1="$(sed -n 's/.*simulated DCs 1..5 listening *\([0-9.:]*\) .*/\1/p' <<<"$out")"
  [[ -n "$dc1" ]] || { echo "no DC 1 address printed"; exit 1; }
  cat "$tmp/proxy.out"
  tunnels="$(grep -c '^tunnel=' "$tmp/proxy.out" || true)"
  (( tunnels >= 3 )) || { echo "only $tunnels tunnels through the proxy"; exit 1; }
  grep -qx "tunnel=$dc1" "$tmp/proxy.out" || { echo "the user's DC 1 connection did not use the proxy"; exit 1; }
  ! grep -q '^refused=' "$tmp/proxy.out" || { echo "the proxy refused a tunnel"; exit 1; }
}

start_proxy --kind=socks5 --username=quick --password='s3cret pw'
check_run "socks5://quick:s3cret%20pw@$addr" "socks5://$addr"

# The proxy by host name (resolved off the loop by io::Resolver).
start_proxy --kind=http
check_run "http://localhost:${addr##*:}" "http://localhost:${addr##*:}"

start_proxy --kind=socks5 --username=quick --password=right
start=$SECONDS
if out="$("$quickstart" --proxy="socks5://quick:wrong@$addr" 2>&1)"; then
  echo "$out"; echo "quickstart succeeded with a wrong proxy password"; exit 1
fi
echo "$out"
grep -qF "SOCKS5 proxy: authentication failed for user 'quick'" <<<"$out" ||
  { echo "the proxy's reason was not reported"; exit 1; }
echo "failed in $((SECONDS - start)) s, as it should"

# A link the quickstart cannot use is refused up front.
if out="$("$quickstart" --proxy="socks4://127.0.0.1:1" 2>&1)"; then echo "accepted socks4://"; exit 1; fi
grep -qF -- "--proxy: proxy link: not a socks5://" <<<"$out" || { echo "$out"; exit 1; }
echo "quickstart_proxy_test: passed"
