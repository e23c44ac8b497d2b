#!/bin/bash
# SPDX-License-Identifier: ISC
# 20: spa_connect() through the example program build/example/spa-fetch, built
# by make against the staged header and pkg-config file only, configured only
# by the environment (SPA_CREDENTIALS, SPA_GATEWAY, SPA_TIMEOUT_MS). Wrong
# credentials are refused with a clear error and no connection; each failing
# step has its own error (refused, timeout, no route, resource host unknown);
# success comes in far less than the 1 s SYN retransmission, over IPv4 and
# IPv6; a gateway name with both families knocks over the resource's family.
#
#   netns GW                                   netns AG
#   +---------------------------+    veth      +--------------------------+
#   | spa-gatewayd              | eth0 -- eth0 | spa-fetch (alice: dev,   |
#   | service tcp/8080 (web)    |              |  bob: ops, carol: other  |
#   | nothing on tcp/7070       |              |  gateway's agent)        |
#   | 10.200.0.1  fd00:200::1   |              | 10.200.0.2  fd00:200::2  |
#   +---------------------------+              +--------------------------+
#   policy: dev = web, closed (7070); ops = db; max_duration 30
#   /etc/netns/AG/hosts: "gateway" is 10.200.0.1 and fd00:200::1

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_begin 20-connect
FETCH=$BUILD/example/spa-fetch
[ -x "$FETCH" ] || die "missing $FETCH (run make)"

POLICY='[resource:web]
proto = tcp
port = 8080

[resource:closed]
proto = tcp
port = 7070

[resource:db]
proto = tcp
port = 9090

[enclave:dev]
resources = web, closed
max_duration = 30

[enclave:ops]
resources = db
max_duration = 30
'

ns_setup
# A name for the gateway with both families, seen only inside AG (ip netns
# exec bind-mounts /etc/netns/AG/hosts over /etc/hosts). Removed on exit.
HOSTS_DIR=/etc/netns/$AG
trap 'rc=$?; rm -rf "$HOSTS_DIR"; rmdir /etc/netns 2>/dev/null; (exit $rc); e2e_end' EXIT
mkdir -p "$HOSTS_DIR"
printf '127.0.0.1 localhost\n%s gateway\n%s gateway\n' "$GW_IP" "$GW_IP6" \
    >"$HOSTS_DIR/hosts"

A=$WORK/gw
gw_tree "$A" "$POLICY"
agent_add "$A" alice dev "$WORK/alice.cred"
agent_add "$A" bob ops "$WORK/bob.cred"
B=$WORK/other			# another gateway's tree: its agent is unknown here
gw_tree "$B" "$POLICY"
agent_add "$B" carol dev "$WORK/carol.cred"
service_start 8080
daemon_start "$A"

# fetch CRED RESOURCE HOST PORT [ENV=VALUE...]: spa-fetch in the agent
# namespace with only the environment for configuration; stdout in
# $WORK/out, stderr in $WORK/err.
fetch() {
	local cred=$1 res=$2 host=$3 port=$4; shift 4
	ag env -i PATH=/usr/bin:/bin HOME="$WORK/home" SPA_CREDENTIALS="$cred" \
	    SPA_TIMEOUT_MS=1500 "$@" timeout 20 "$FETCH" "$res" "$host" "$port" \
	    >"$WORK/out" 2>"$WORK/err"
}
err_has() { grep -q -- "$1" "$WORK/err" || { sed 's/^/    /' "$WORK/err"; false; }; }

check "spa-fetch is linked against libspa-client.so.1" \
    sh -c "ldd '$FETCH' | grep -q 'libspa-client.so.1 => $BUILD'"
check "before any knock the service is unreachable" unreachable "$GW_IP" 8080

# --- refusals first, while this source has no opening at all ---
mark=$(audit_mark "$A")
if [ ! -e /etc/spa-gateway/credentials ]; then
	check_not "no credential file: spa-fetch fails" \
	    ag env -i PATH=/usr/bin:/bin HOME="$WORK/home" timeout 10 "$FETCH" \
	    web "$GW_IP" 8080 >"$WORK/out" 2>"$WORK/err"
	check "  and says SPA_CREDENTIALS is unset" err_has "SPA_CREDENTIALS is unset"
fi

printf '[agent]\nname = x\nsecret_key = not base64\n' >"$WORK/bad.cred"
chmod 600 "$WORK/bad.cred"
check_not "a corrupt credential file: spa-fetch fails" fetch "$WORK/bad.cred" web "$GW_IP" 8080
check "  with the file and line named" err_has "credential file unreadable or invalid: $WORK/bad.cred:[0-9]"
cp "$WORK/alice.cred" "$WORK/open.cred"
chmod 644 "$WORK/open.cred"
check_not "a world-readable credential file: spa-fetch fails" \
    fetch "$WORK/open.cred" web "$GW_IP" 8080
check "  and says how to fix it" err_has "chmod 600"
check "  no knock was sent for either (no audit line)" audit_quiet "$A" "$mark" 0.3

check_not "another gateway's credentials: spa-fetch fails" \
    fetch "$WORK/carol.cred" web "$GW_IP" 8080
check "  with 'no answer from the resource after the knock'" \
    err_has "no answer from the resource after the knock: $GW_IP:8080 did not answer within 1500 ms"
expect_audit "$A" "$mark" refuse "unknown_key|bad_auth" "  the gateway refused carol's knock"
check "  and nothing printed on stdout" test ! -s "$WORK/out"

mark=$(audit_mark "$A")
check_not "bob (ops) asks for web: spa-fetch fails" fetch "$WORK/bob.cred" web "$GW_IP" 8080
check "  with a timeout error" err_has "no answer from the resource"
expect_audit "$A" "$mark" refuse not_entitled "  the gateway refused bob's knock"
check "the service is still unreachable" unreachable "$GW_IP" 8080

mark=$(audit_mark "$A")
check_not "a resource host that does not resolve: spa-fetch fails" \
    fetch "$WORK/alice.cred" web no-such-host.invalid 8080
check "  with 'resource address does not resolve'" err_has "resource address does not resolve"
check "  and no knock was spent (no audit line)" audit_quiet "$A" "$mark" 0.3

# --- alice reaches the service ---
mark=$(audit_mark "$A")
check "alice: spa-fetch web $GW_IP 8080 succeeds" fetch "$WORK/alice.cred" web "$GW_IP" 8080
check "  and prints the service's greeting" grep -q "hello from the protected service on port 8080" "$WORK/out"
expect_audit "$A" "$mark" accept ok "  the knock was accepted"
check "  for web only" test "$(json_get "$AUDIT_LINE" resources)" = web
ms=$(sed -n 's/.* in \([0-9]*\)\..* ms$/\1/p' "$WORK/err")
check "  connected in ${ms:-?} ms, well under the 1 s SYN retransmission" \
    test "${ms:-9999}" -lt 900

mark=$(audit_mark "$A")
check_not "alice: knock for 'closed' (nothing listens on 7070) fails" \
    fetch "$WORK/alice.cred" closed "$GW_IP" 7070
check "  with 'the resource refused the connection'" err_has "the resource refused the connection: $GW_IP:7070"
expect_audit "$A" "$mark" accept ok "  (the knock itself was accepted)"

check_not "alice: a resource address with no route fails" \
    fetch "$WORK/alice.cred" web 192.0.2.1 8080
check "  with 'no route to the resource'" err_has "no route to the resource"

# --- IPv6, and the knock's family chosen from the resource's ---
check "IPv6: before, the service is unreachable over IPv6" unreachable "$GW_IP6" 8080
mark=$(audit_mark "$A")
check "IPv6: spa-fetch web $GW_IP6 8080 with SPA_GATEWAY=[$GW_IP6] succeeds" \
    fetch "$WORK/alice.cred" web "$GW_IP6" 8080 SPA_GATEWAY="[$GW_IP6]"
check "  and prints the greeting" grep -q "hello from the protected service" "$WORK/out"
expect_audit "$A" "$mark" accept ok "  the knock was accepted"
check "  from $AG_IP6" test "$(json_get "$AUDIT_LINE" source)" = "$AG_IP6"

sleep 0.5
mark=$(audit_mark "$A")
check "a dual-stack gateway name: IPv6 resource reached (SPA_GATEWAY=gateway)" \
    fetch "$WORK/alice.cred" web "$GW_IP6" 8080 SPA_GATEWAY=gateway
expect_audit "$A" "$mark" accept ok "  one knock, accepted"
check "  sent over IPv6, the resource's family" \
    test "$(json_get "$AUDIT_LINE" source)" = "$AG_IP6"
check "  (only one knock)" audit_quiet "$A" "$((mark + 1))" 0.3
mark=$(audit_mark "$A")
check "a dual-stack gateway name: IPv4 resource reached" \
    fetch "$WORK/alice.cred" web "$GW_IP" 8080 SPA_GATEWAY=gateway
expect_audit "$A" "$mark" accept ok "  one knock, accepted"
check "  sent over IPv4" test "$(json_get "$AUDIT_LINE" source)" = "$AG_IP"
