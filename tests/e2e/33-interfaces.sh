#!/bin/bash
# SPDX-License-Identifier: ISC
# 33-interfaces: the daemon survives its interface going down and up again
# (once for a second, then three times in quick succession) and accepts
# knocks afterwards; with `interface = eth0, eth1` knocks arriving on either
# interface open, and one interface going down and up leaves the other
# working meanwhile and itself working after.
#
#   netns AG                     netns GW                      netns AG2
#   +------------------+  veth   +-----------------------+ veth +------------------+
#   | spa-knock alice  | eth0 -- | eth0 10.200.0.1       |      |                  |
#   | clients          |    eth0 | spa-gatewayd          |      | spa-knock bob    |
#   | 10.200.0.2       |         | service tcp/8080      | eth1 -- eth0 clients    |
#   +------------------+         | eth1 10.201.0.1       |      | 10.201.0.2       |
#                                +-----------------------+      +------------------+
#   first: interface = eth0; then: interface = eth0, eth1

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_begin 33-interfaces

ns_setup
AG2=spa-$$-ag2
GW_IP_B=10.201.0.1
AG2_IP=10.201.0.2
ip netns add "$AG2" || die "ip netns add $AG2"
E2E_NS+=("$AG2")
ip -n "$AG2" link set lo up
ip -n "$GW" link add eth1 type veth peer name eth0 netns "$AG2" || die "veth eth1"
GW_MAC_B=$(gw cat /sys/class/net/eth1/address)
AG2_MAC=$(ip netns exec "$AG2" cat /sys/class/net/eth0/address)
ip -n "$GW" addr add "$GW_IP_B/24" dev eth1
ip -n "$AG2" addr add "$AG2_IP/24" dev eth0
ip -n "$GW" link set eth1 up || die "link up"
ip -n "$AG2" link set eth0 up || die "link up"

# neighbours: the permanent entries, again after a link went down and up.
neighbours() {
	local n
	for n in "$AG_IP" "$AG_IP2"; do
		ip -n "$GW" neigh replace "$n" lladdr "$AG_MAC" dev eth0 nud permanent
	done
	ip -n "$AG" neigh replace "$GW_IP" lladdr "$GW_MAC" dev eth0 nud permanent
	ip -n "$GW" neigh replace "$AG2_IP" lladdr "$AG2_MAC" dev eth1 nud permanent
	ip -n "$AG2" neigh replace "$GW_IP_B" lladdr "$GW_MAC_B" dev eth0 nud permanent
}
neighbours

A=$WORK/gw
gw_tree "$A"
agent_add "$A" alice dev "$WORK/alice.cred"
agent_add "$A" bob dev "$WORK/bob.cred"
service_start 8080

# set_interfaces LIST: gateway.ini's interface line.
set_interfaces() {
	sed -i "s/^interface *=.*/interface = $1/" "$A/gateway.ini"
	grep -q "^interface = $1\$" "$A/gateway.ini"
}

# Knocks and connects from the second agent namespace.
knock2() {
	local cred=$1; shift
	ip netns exec "$AG2" timeout 10 "$KNOCK" --credentials "$cred" \
	    --gateway "$GW_IP_B" "$@"
}
reachable2() {
	ip netns exec "$AG2" timeout 8 "$PY" -c "$CONNECT_PY" "$GW_IP_B" 8080 3 >/dev/null
}
unreachable2() {
	! ip netns exec "$AG2" timeout 6 "$PY" -c "$CONNECT_PY" "$GW_IP_B" 8080 1 >/dev/null
}

both_alive() {
	alive "$DAEMON_PID" && [ -n "$ENGINE" ] && alive "$ENGINE"
}

start() {
	daemon_start "$A"
	ENGINE=$(pgrep -P "$DAEMON_PID" | head -n 1)
	[ -n "$ENGINE" ] && E2E_PIDS+=("$ENGINE")
}

# opens_via WHICH DESC: a fresh knock (2 s) through eth0 (alice from AG) or
# eth1 (bob from AG2) is accepted and the connect succeeds.
opens_via() {
	local which=$1 desc=$2 mark
	mark=$(audit_mark "$A")
	if [ "$which" = eth0 ]; then
		knock "$WORK/alice.cred" --duration 2 web || { nok "$desc: spa-knock failed"; return; }
	else
		knock2 "$WORK/bob.cred" --duration 2 web || { nok "$desc: spa-knock failed"; return; }
	fi
	expect_audit "$A" "$mark" accept ok "$desc: knock accepted" || return
	if [ "$which" = eth0 ]; then
		check "$desc: the connect succeeds" reachable "$GW_IP" 8080
	else
		check "$desc: the connect succeeds" reachable2
	fi
}

# bounce DEV SECONDS: down, wait, up; re-add the neighbours; settle briefly.
bounce() {
	gw ip link set dev "$1" down
	sleep "$2"
	check "the daemon (both processes) is alive while $1 is down" both_alive
	gw ip link set dev "$1" up
	neighbours
	sleep 0.5
}

# --- one interface -----------------------------------------------------------

say "# interface = eth0"
set_interfaces eth0 || die "cannot set the interface"
start
opens_via eth0 "before any link change"
sleep 2.2		# the opening expires
bounce eth0 1
check "after eth0 went down and up, the daemon (both processes) is alive" both_alive
check "nothing is open" unreachable "$GW_IP" 8080
opens_via eth0 "after eth0 down 1 s and up"
sleep 2.2
for _ in 1 2 3; do
	gw ip link set dev eth0 down
	sleep 0.1
	gw ip link set dev eth0 up
	sleep 0.1
done
neighbours
sleep 0.5
check "after three quick down/up cycles the daemon (both processes) is alive" both_alive
opens_via eth0 "after three quick down/up cycles"
daemon_kill TERM || nok "the daemon did not stop on SIGTERM"

# --- two interfaces ----------------------------------------------------------

say "# interface = eth0, eth1"
set_interfaces "eth0, eth1" || die "cannot set the interfaces"
sleep 2.2		# openings from above expire
start
grep -q 'on 2 interface' "$DAEMON_LOG" && say "# $(grep ready "$DAEMON_LOG")"
check "before any knock eth0's address is dark" unreachable "$GW_IP" 8080
check "before any knock eth1's address is dark" unreachable2
opens_via eth0 "a knock arriving on eth0 (alice)"
opens_via eth1 "a knock arriving on eth1 (bob)"
check "the set holds bob's opening for 10.201.0.2" \
    sh -c "ip netns exec '$GW' nft list set inet spa_gateway in4 | grep -q '$AG2_IP . tcp . 8080'"
sleep 2.2
gw ip link set dev eth1 down
sleep 0.5
opens_via eth0 "while eth1 is down, a knock on eth0"
check "the daemon (both processes) is alive with eth1 down" both_alive
gw ip link set dev eth1 up
neighbours
sleep 0.5
opens_via eth1 "after eth1 came back, a knock on eth1"
sleep 2.2
bounce eth0 1
opens_via eth0 "after eth0 went down and up, a knock on eth0"
opens_via eth1 "and a knock on eth1"
daemon_kill TERM || nok "the daemon did not stop on SIGTERM"
check "the engine is gone too" wait_gone "$ENGINE" 5
