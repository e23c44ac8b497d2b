#!/bin/bash
# SPDX-License-Identifier: ISC
# 22: spa-knock run --map NAME=HOST:PORT -- COMMAND: unmodified programs (curl,
# ncat, a plain Python socket client) reach cloaked services because the
# preloaded connect() shim knocks when they connect to a mapped address, once
# per opening period, and waits until it answers. Connections to other
# addresses are untouched (no knock, same result as without the shim). Wrong
# credentials fail clearly, before the program runs or in its connect.
#
#   netns GW                                   netns AG
#   +---------------------------+    veth      +--------------------------+
#   | spa-gatewayd              | eth0 -- eth0 | spa-knock run (alice:    |
#   | greeting tcp/8080 (web),  |              |  dev; carol: another     |
#   |   tcp/9090 (db)           |              |  gateway's agent)        |
#   | http.server tcp/8081      |              | greeting on tcp/7777     |
#   |   (http)                  |              |  (loopback, not cloaked) |
#   | 10.200.0.1  fd00:200::1   |              | 10.200.0.2  fd00:200::2  |
#   +---------------------------+              +--------------------------+
#   policy: dev = web, http; ops = db; max_duration 30

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_begin 22-run-shim
[ -r "$BUILD/libspa-shim.so" ] || die "missing $BUILD/libspa-shim.so (run make)"
command -v curl >/dev/null || die "missing tool: curl"
command -v ncat >/dev/null || die "missing tool: ncat"

POLICY='[resource:web]
proto = tcp
port = 8080

[resource:http]
proto = tcp
port = 8081

[resource:db]
proto = tcp
port = 9090

[enclave:dev]
resources = web, http
max_duration = 30

[enclave:ops]
resources = db
max_duration = 30
'

ns_setup
A=$WORK/gw
gw_tree "$A" "$POLICY"
agent_add "$A" alice dev "$WORK/alice.cred"
gw_tree "$WORK/other" "$POLICY"
agent_add "$WORK/other" carol dev "$WORK/carol.cred"
service_start 8080 9090
mkdir -p "$WORK/www"
echo "the cloaked page" >"$WORK/www/hello.txt"
bg ip netns exec "$GW" timeout 300 "$PY" -m http.server 8081 --bind :: --directory "$WORK/www" \
    >"$WORK/http.log" 2>&1
bg ip netns exec "$AG" timeout 300 "$PY" -c "$SERVICE_PY" 7777 >"$WORK/local.log" 2>&1
n=100
until { gw ss -ltn | grep -q ':8081 '; } && grep -q listening "$WORK/local.log"; do
	n=$((n - 1)); [ "$n" -gt 0 ] || die "the test services did not start"; sleep 0.05
done
daemon_start "$A"
ALICE=$WORK/alice.cred
URL=http://$GW_IP:8081/hello.txt

# run CRED ARGS...: spa-knock run in the agent namespace, bounded;
# stdout in $WORK/out, stderr in $WORK/err, exit status in RC.
run() {
	local cred=$1; shift
	ag timeout 20 "$KNOCK" run --credentials "$cred" --gateway "$GW_IP" "$@" \
	    >"$WORK/out" 2>"$WORK/err"
	RC=$?
}
rc_is() { [ "$RC" = "$1" ] || { say "    exit status $RC, wanted $1"; sed 's/^/    /' "$WORK/err"; false; }; }
err_has() { grep -q -- "$1" "$WORK/err" || { sed 's/^/    /' "$WORK/err"; false; }; }
out_has() { grep -q -- "$1" "$WORK/out" || { sed 's/^/    /' "$WORK/out" "$WORK/err"; false; }; }

# An unmodified client: one connect attempt per HOST:PORT argument (1 s),
# prints "HOST:PORT ok" or "HOST:PORT failed", and whether the shim is loaded.
CLIENT_PY='
import socket, sys
maps = open("/proc/self/maps").read()
print("shim loaded" if "libspa-shim.so" in maps else "shim not loaded")
for hp in sys.argv[1:]:
    host, port = hp.rsplit(":", 1)
    host = host.strip("[]")
    try:
        s = socket.create_connection((host, int(port)), 1)
        s.settimeout(2)
        ok = s.makefile("rb").readline().startswith(b"hello")
        s.close()
    except OSError:
        ok = False
    print(hp, "ok" if ok else "failed", flush=True)
'

check_not "before any knock curl cannot fetch $URL" \
    ag timeout 10 curl -s --max-time 2 -o /dev/null "$URL"

# --- refusals first, while this source has no opening ---
printf '[agent]\nname = x\n' >"$WORK/bad.cred"; chmod 600 "$WORK/bad.cred"
mark=$(audit_mark "$A")
run "$WORK/bad.cred" --map "http=$GW_IP:8081" -- touch "$WORK/ran"
check "corrupt credentials: exit 1" rc_is 1
check "  naming the file" err_has "credential file unreadable or invalid: $WORK/bad.cred"
check "  the program did not run" test ! -e "$WORK/ran"
run "$ALICE" --map "http=$GW_IP" -- touch "$WORK/ran"
check "a --map without a port: usage error (2)" rc_is 2
check "  saying what is expected" err_has "expected NAME=HOST:PORT"
run "$ALICE" --map "http=$GW_IP:0" -- touch "$WORK/ran"
check "a --map with port 0: usage error (2)" rc_is 2
run "$ALICE" --map "Http=$GW_IP:8081" -- touch "$WORK/ran"
check "a --map with a bad resource name: usage error (2)" rc_is 2
run "$ALICE" --map "http=no-such-host.invalid:8081" -- touch "$WORK/ran"
check "a --map whose host does not resolve: usage error (2)" rc_is 2
check "  naming the host" err_has "no-such-host.invalid:8081"
check "  the program did not run" test ! -e "$WORK/ran"
run "$ALICE" -- touch "$WORK/ran"
check "no --map at all: usage error (2)" rc_is 2
check "  the program did not run" test ! -e "$WORK/ran"
check "  no knock was sent" audit_quiet "$A" "$mark" 0.3

run "$WORK/carol.cred" --timeout 1 --map "http=$GW_IP:8081" -- \
    curl -s --max-time 3 -o /dev/null "$URL"
check "another gateway's credentials: curl fails" test "$RC" -ne 0
check "  the shim says the knock got no answer" \
    err_has "spa-shim: knock for http ($GW_IP:8081): no answer from the resource after the knock"
expect_audit "$A" "$mark" refuse "unknown_key|bad_auth" "  the gateway refused the knock"

# --- unmodified clients reach the cloaked services ---
mark=$(audit_mark "$A")
run "$ALICE" --map "http=$GW_IP:8081" --map "web=$GW_IP:8080" -- \
    curl -s -S --max-time 5 "$URL"
check "curl through spa-knock run fetches $URL" rc_is 0
check "  and gets the cloaked page" out_has "the cloaked page"
expect_audit "$A" "$mark" accept ok "  the shim's knock was accepted"
check "  for http only (web was mapped but not connected to)" \
    test "$(json_get "$AUDIT_LINE" resources)" = http
check "  one knock" audit_quiet "$A" "$((mark + 1))" 0.2

mark=$(audit_mark "$A")
echo bye | ag timeout 20 "$KNOCK" run --credentials "$ALICE" --gateway "$GW_IP" \
    --map "web=$GW_IP:8080" -- ncat -w 3 "$GW_IP" 8080 >"$WORK/out" 2>"$WORK/err"
RC=$?
check "ncat through spa-knock run talks to the web service" rc_is 0
check "  greeting received" out_has "hello from the protected service on port 8080"
check "  echo received" out_has "echo bye"
expect_audit "$A" "$mark" accept ok "  the shim's knock was accepted"

mark=$(audit_mark "$A")
run "$ALICE" --map "web=$GW_IP:8080" -- "$PY" -c "$CLIENT_PY" \
    "$GW_IP:8080" "$GW_IP:8080" "$GW_IP:8080"
check "a Python client connects 3 times to web" test "$(grep -c "$GW_IP:8080 ok" "$WORK/out")" = 3
expect_audit "$A" "$mark" accept ok "  the first connect knocked"
check "  the other two did not: one knock per opening period" \
    audit_quiet "$A" "$((mark + 1))" 0.3

# --- other addresses are untouched ---
mark=$(audit_mark "$A")
SPA_SHIM_VERBOSE=1 run "$ALICE" --map "web=$GW_IP:8080" -- "$PY" -c "$CLIENT_PY" \
    "127.0.0.1:7777" "[::1]:7777" "$GW_IP:9090"
check "under the shim (it is loaded into the client)" out_has "shim loaded"
check "  a loopback service not in the map works (IPv4)" out_has "127.0.0.1:7777 ok"
check "  and over IPv6" out_has "\[::1\]:7777 ok"
check "  the gateway's db port, not in the map, stays dark" out_has "$GW_IP:9090 failed"
check "  no knock for any of them (no audit line)" audit_quiet "$A" "$mark" 0.5
check "  and the shim said nothing" test ! -s "$WORK/err"
check "without the shim the same client gets the same results" \
    sh -c "ip netns exec '$AG' '$PY' -c '$CLIENT_PY' 127.0.0.1:7777 $GW_IP:9090 |
        tr '\n' ' ' | grep -q 'shim not loaded 127.0.0.1:7777 ok $GW_IP:9090 failed'"

# --- IPv6 ---
check_not "IPv6: before, curl cannot fetch over IPv6" \
    ag timeout 10 curl -s -g --max-time 2 -o /dev/null "http://[$GW_IP6]:8081/hello.txt"
mark=$(audit_mark "$A")
ag timeout 20 "$KNOCK" run --credentials "$ALICE" --gateway "[$GW_IP6]" \
    --map "http=[$GW_IP6]:8081" -- curl -s -S -g --max-time 5 \
    "http://[$GW_IP6]:8081/hello.txt" >"$WORK/out" 2>"$WORK/err"
RC=$?
check "IPv6: curl through spa-knock run fetches the page" rc_is 0
check "  and gets it" out_has "the cloaked page"
expect_audit "$A" "$mark" accept ok "  the knock was accepted"
check "  from $AG_IP6" test "$(json_get "$AUDIT_LINE" source)" = "$AG_IP6"
