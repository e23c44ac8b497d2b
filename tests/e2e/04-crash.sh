#!/bin/bash
# SPDX-License-Identifier: ISC
# 04: kill -9 of the daemon. The host stays dark (its table stays, input
# policy drop; openings still expire by themselves); after a restart a knock
# accepted before the kill, replayed, is refused and opens nothing; a fresh
# knock works.
#
#   netns GW                                   netns AG
#   +---------------------------+    veth      +--------------------------+
#   | spa-gatewayd  (kill -9,   | eth0 -- eth0 | spa-knock (alice, dev)   |
#   |   then restart)           |              | python replay sender     |
#   | service tcp/8080 (web)    |              | 10.200.0.2               |
#   | 10.200.0.1                |              +--------------------------+
#   +---------------------------+

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_begin 04-crash

ns_setup
A=$WORK/gw
gw_tree "$A"
agent_add "$A" alice dev "$WORK/alice.cred"
service_start 8080
daemon_start "$A"
KN=$WORK/alice.knock

table_dark() {
	local t
	t=$(gw nft list table inet spa_gateway 2>/dev/null) || return 1
	grep -q 'hook input.*policy drop' <<<"$t"
}

check "before the kill the table is installed with input policy drop" table_dark
mark=$(audit_mark "$A")
check "alice knocks (2 s) and saves the knock" \
    knock "$WORK/alice.cred" --duration 2 --save "$KN" web
expect_audit "$A" "$mark" accept ok "the knock is accepted"
check "the connect succeeds" reachable "$GW_IP" 8080

say "# kill -9"
daemon_kill KILL
check_not "the daemon is gone" alive "$DAEMON_PID"
check "its table is still there with input policy drop" table_dark
sleep 2.2
check "the opening expired without the daemon: connect fails" \
    unreachable "$GW_IP" 8080
scan_dark "nmap finds no open or closed port on the dead daemon's host" \
    -sS -p 22,80,443,8080,62201 "$GW_IP"
check "a fresh knock while the daemon is dead is sent" \
    knock "$WORK/alice.cred" --duration 2 web
check "and opens nothing" unreachable "$GW_IP" 8080

say "# restart"
daemon_start "$A"
check "after the restart the table is installed with input policy drop" table_dark
check "the service is unreachable" unreachable "$GW_IP" 8080
mark=$(audit_mark "$A")
check "the knock accepted before the kill is replayed" \
    send_udp "$KN" "$GW_IP" "$KNOCK_PORT"
expect_audit "$A" "$mark" refuse "replay|stale" "the replayed knock is refused"
check "the replay opens nothing" unreachable "$GW_IP" 8080

mark=$(audit_mark "$A")
check "a fresh knock is sent" knock "$WORK/alice.cred" --duration 2 web
expect_audit "$A" "$mark" accept ok "the fresh knock is accepted"
check "the connect succeeds" reachable "$GW_IP" 8080
