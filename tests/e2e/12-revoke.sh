#!/bin/bash
# SPDX-License-Identifier: ISC
# 12: live revocation. `spa-admin agent revoke alice --kill-sessions` cuts a
# connection alice holds open (it exchanges data every 50 ms) within one
# second; a new connect fails; her knocks are refused (`revoked`); her
# opening is listed by `spa-admin openings` before and not after; `agent
# list` shows her revoked. `agent revoke bob` without --kill-sessions leaves
# his established connection working, deletes his opening and refuses his
# knocks.
#
#   netns GW                                   netns AG
#   +---------------------------+    veth      +--------------------------+
#   | spa-gatewayd              | eth0 -- eth0 | spa-knock alice, bob     |
#   | service tcp/8080 (web,    |              | held connections (python |
#   |   echoes lines)           |              |   ping/echo every 50 ms) |
#   | 10.200.0.1                |              | 10.200.0.2               |
#   +---------------------------+              +--------------------------+
#   policy: enclave dev = web, max_duration 60; alice and bob in dev (used
#   one after the other: both knock from 10.200.0.2)

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/lib3.sh
. "$(dirname "$0")/lib3.sh"
e2e_begin 12-revoke

ns_setup
A=$WORK/gw
gw_tree "$A" '[resource:web]
proto = tcp
port = 8080

[enclave:dev]
resources = web
max_duration = 60
default_duration = 60
'
agent_add "$A" alice dev "$WORK/alice.cred"
agent_add "$A" bob dev "$WORK/bob.cred"
service_start 8080
daemon_start "$A"

# agent_status NAME / agent_openings NAME: the STATUS and OPENINGS columns
# (the last two) of `spa-admin agent list` for NAME.
agent_status() {
	admin "$A" agent list || return 1
	awk -v n="$1" '$1 == n { print $(NF - 1) }' <<<"$ADMIN_OUT"
}
agent_openings() {
	admin "$A" agent list || return 1
	awk -v n="$1" '$1 == n { print $NF }' <<<"$ADMIN_OUT"
}

say "# revoke --kill-sessions"
check "before the knock the connect fails" unreachable "$GW_IP" 8080
knock_expect "$A" accept ok "alice knocks for web (60 s)" "$WORK/alice.cred" \
    --duration 60 web
check "the connect succeeds" reachable "$GW_IP" 8080
check "spa-admin openings lists alice's opening" \
    openings_has "$A" "^alice +$AG_IP +web +"
check "agent list shows alice active" test "$(agent_status alice)" = active
check "agent list shows alice holding 1 opening" test "$(agent_openings alice)" = 1
check "agent list shows bob holding none" test "$(agent_openings bob)" = 0
H1=$WORK/hold-alice.out
check "alice holds a connection exchanging data" \
    hold_start "$H1" "$GW_IP" 8080 20
sleep 0.5
t0=$(now_s)
check "spa-admin agent revoke alice --kill-sessions exits 0" \
    admin "$A" agent revoke alice --kill-sessions
sleep 1.5
dead=$(dead_at "$H1")
last=$(last_ok "$H1")
check "the held connection is dead (first unanswered ping sent at '${dead:-never}', revoke at $t0)" \
    test -n "$dead"
check "no data went through more than 1 s after the revoke (last echo at '${last:-never}')" \
    fle "${last:-0}" "$(fadd "$t0" 1)"
if [ -n "$dead" ]; then
	check "it died within one second of the command" fle "$dead" "$(fadd "$t0" 1)"
else
	nok "it died within one second of the command: still alive ($(tail -n 1 "$H1"))"
fi
check "a new connect fails" unreachable "$GW_IP" 8080
check "the nft set no longer holds alice's opening" \
    sh -c "! ip netns exec '$GW' nft list set inet spa_gateway in4 | grep -q '$AG_IP . tcp . 8080'"
admin "$A" openings
check "spa-admin openings no longer lists alice (exit 0, no alice line)" \
    sh -c "[ \$0 = 0 ] && ! printf '%s\n' \"\$1\" | grep -q '^alice '" "$?" "$ADMIN_OUT"
check "agent list shows alice revoked (status '$(agent_status alice)')" \
    test "$(agent_status alice)" = revoked
knock_expect "$A" refuse revoked "alice knocks again" "$WORK/alice.cred" web
check "and the connect still fails" unreachable "$GW_IP" 8080

say "# revoke without --kill-sessions"
knock_expect "$A" accept ok "bob knocks for web (60 s)" "$WORK/bob.cred" \
    --duration 60 web
check "spa-admin openings lists bob's opening" \
    openings_has "$A" "^bob +$AG_IP +web +"
H2=$WORK/hold-bob.out
check "bob holds a connection exchanging data" hold_start "$H2" "$GW_IP" 8080 20
sleep 0.3
t0=$(now_s)
check "spa-admin agent revoke bob exits 0" admin "$A" agent revoke bob
sleep 1.5
last=$(last_ok "$H2")
check "bob's connection still exchanges data 1 s after the revoke (last echo at '${last:-never}', revoke at $t0)" \
    fle "$(fadd "$t0" 1)" "${last:-0}"
check "and has not died" test -z "$(dead_at "$H2")"
check "a new connect fails (his opening is deleted)" unreachable "$GW_IP" 8080
admin "$A" openings
check "spa-admin openings no longer lists bob" \
    sh -c "[ \$0 = 0 ] && ! printf '%s\n' \"\$1\" | grep -q '^bob '" "$?" "$ADMIN_OUT"
check "agent list shows bob revoked" test "$(agent_status bob)" = revoked
knock_expect "$A" refuse revoked "bob knocks again" "$WORK/bob.cred" web
check "the held connection is still alive at the end" \
    sh -c "tail -n 1 '$H2' | grep -q '^ok '"
