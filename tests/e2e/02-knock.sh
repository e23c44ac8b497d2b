#!/bin/bash
# SPDX-License-Identifier: ISC
# 02: a knock opens the service for exactly the granted time. After spa-knock
# the connect succeeds (IPv4 and IPv6), the nft set holds the opening, the
# audit line shows the granted duration (clamped to max_duration, default
# when none asked); after the duration new connects fail again, while a
# connection opened before expiry keeps working.
#
#   netns GW                                   netns AG
#   +---------------------------+    veth      +--------------------------+
#   | spa-gatewayd              | eth0 -- eth0 | spa-knock (alice, dev)   |
#   | service tcp/8080 (web)    |              | clients                  |
#   | 10.200.0.1  fd00:200::1   |              | 10.200.0.2  fd00:200::2  |
#   +---------------------------+              +--------------------------+
#   policy: enclave dev = web, max_duration 5, default_duration 3

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_begin 02-knock

ns_setup
A=$WORK/gw
gw_tree "$A"
agent_add "$A" alice dev "$WORK/alice.cred"
service_start 8080
daemon_start "$A"
CRED=$WORK/alice.cred

check "before the knock the connect fails" unreachable "$GW_IP" 8080

# --- open for 2 s ---
mark=$(audit_mark "$A")
check "spa-knock --duration 2 web exits 0" knock "$CRED" --duration 2 web
t0=$(date +%s%N)
expect_audit "$A" "$mark" accept ok "the knock is accepted"
check "the audit line grants 2 s" test "$(json_get "$AUDIT_LINE" duration)" = 2
check "the audit line names agent alice" test "$(json_get "$AUDIT_LINE" agent)" = alice
check "the audit line names resource web" test "$(json_get "$AUDIT_LINE" resources)" = web
check "the audit line has the agent's source address" \
    test "$(json_get "$AUDIT_LINE" source)" = "$AG_IP"
check "the audit line has an expiry" test -n "$(json_get "$AUDIT_LINE" expires)"

out=$(try_connect "$GW_IP" 8080 3)
check "after the knock the connect succeeds (service says: ${out%$'\n'})" \
    test -n "$out"
check "the nft set holds 10.200.0.2 . tcp . 8080" \
    sh -c "ip netns exec '$GW' nft list set inet spa_gateway in4 | grep -q '$AG_IP . tcp . 8080'"

# Hold a connection open across the expiry: talk before, then after.
HOLD_PY='
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)
f = s.makefile("rb")
f.readline()
s.sendall(b"before\n")
assert f.readline() == b"echo before\n"
print("connected", flush=True)
time.sleep(float(sys.argv[3]))
s.sendall(b"after expiry\n")
assert f.readline() == b"echo after expiry\n"
print("still working after expiry", flush=True)
'
bg ip netns exec "$AG" timeout 20 "$PY" -c "$HOLD_PY" "$GW_IP" 8080 3.5 \
    >"$WORK/hold.out" 2>&1
HOLD_PID=$BG_PID

# Wait until 2.5 s after the knock: the opening has expired.
now=$(date +%s%N)
left=$(( (t0 + 2500000000 - now) / 1000000 ))
[ "$left" -gt 0 ] && sleep "$((left / 1000)).$(printf '%03d' $((left % 1000)))"
check "after the granted 2 s a new connect fails" unreachable "$GW_IP" 8080
check "the nft set no longer holds the opening" \
    sh -c "! ip netns exec '$GW' nft list set inet spa_gateway in4 | grep -q '$AG_IP . tcp . 8080'"
wait_gone "$HOLD_PID" 10
check "a connection opened before expiry keeps working after it" \
    grep -q "still working after expiry" "$WORK/hold.out"

# --- clamping and the default ---
mark=$(audit_mark "$A")
check "spa-knock --duration 60 exits 0" knock "$CRED" --duration 60 web
expect_audit "$A" "$mark" accept ok "a knock asking for 60 s is accepted"
check "it is granted max_duration, 5 s" test "$(json_get "$AUDIT_LINE" duration)" = 5
check "and the connect succeeds" reachable "$GW_IP" 8080

mark=$(audit_mark "$A")
check "spa-knock without --duration exits 0" knock "$CRED" web
expect_audit "$A" "$mark" accept ok "a knock without a duration is accepted"
check "it is granted default_duration, 3 s (a refresh, not an error)" \
    test "$(json_get "$AUDIT_LINE" duration)" = 3

mark=$(audit_mark "$A")
check "spa-knock without resources exits 0" knock "$CRED" --duration 1
expect_audit "$A" "$mark" accept ok "a knock naming no resource is accepted"
check "it opens every resource of the agent's enclaves (web)" \
    test "$(json_get "$AUDIT_LINE" resources)" = web

# --- IPv6 ---
sleep 3.5		# everything above has expired
check "IPv6: before the knock the connect fails" unreachable "$GW_IP6" 8080
mark=$(audit_mark "$A")
check "spa-knock to [fd00:200::1] exits 0" \
    ag timeout 10 "$KNOCK" --credentials "$CRED" --gateway "[$GW_IP6]:$KNOCK_PORT" \
    --duration 2 web
expect_audit "$A" "$mark" accept ok "IPv6: the knock is accepted"
check "IPv6: the audit source is fd00:200::2" \
    test "$(json_get "$AUDIT_LINE" source)" = "$AG_IP6"
check "IPv6: the connect succeeds" reachable "$GW_IP6" 8080
check "IPv6: the opening is for IPv6 only (IPv4 connect fails)" unreachable "$GW_IP" 8080
sleep 2.2
check "IPv6: after 2 s a new connect fails" unreachable "$GW_IP6" 8080
