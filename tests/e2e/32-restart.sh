#!/bin/bash
# SPDX-License-Identifier: ISC
# 32-restart: crash and restart safety. Three ways the daemon goes away: a
# clean stop (SIGTERM to the main PID), kill -9 of the main (privileged) PID,
# kill -9 of the engine child. Each time both processes end, the host stays
# dark (table inet spa_gateway still there, input policy drop; a port never
# opened and an address never opened stay closed) and an opening made just
# before still works until, and expires at, its granted time. A restart then
# succeeds with no operator cleanup (the stale control socket is replaced) and
# refuses the knocks accepted before it (replay), including one stamped 8 s
# ahead of our clock (inside the 30 s skew window): only the replay floor
# kept on disk can refuse that one.
#
#   netns GW                                   netns AG
#   +---------------------------+    veth      +--------------------------+
#   | spa-gatewayd (stopped,    | eth0 -- eth0 | spa-knock (alice, dev)   |
#   |   killed, restarted)      |              | knockgen (future knock)  |
#   | service tcp/8080 (web),   |              | clients from 10.200.0.2  |
#   |   tcp/9090 (never opened) |              |   and 10.200.0.3         |
#   | 10.200.0.1                |              +--------------------------+
#   +---------------------------+
#   policy: enclave dev = web, max_duration 5

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_begin 32-restart

cc -O2 -o "$WORK/knockgen" "$E2E_DIR/tools/knockgen.c" -lsodium ||
    die "cannot build tools/knockgen.c"
"$WORK/knockgen" --selftest >/dev/null || die "knockgen does not match PROTOCOL.md"

ns_setup
A=$WORK/gw
gw_tree "$A"
agent_add "$A" alice dev "$WORK/alice.cred"
service_start 8080 9090
CRED=$WORK/alice.cred
AHEAD_MS=8000

# forget PID: a process we saw exit; never signal its PID again.
forget() {
	local p keep=()
	for p in "${E2E_PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	E2E_PIDS=("${keep[@]}")
}

# start: daemon_start, then find the engine (killed by PID on exit if it
# should ever outlive the main process).
start() {
	local n=40
	daemon_start "$A"
	ENGINE=
	while [ -z "$ENGINE" ] && [ "$n" -gt 0 ]; do
		ENGINE=$(pgrep -P "$DAEMON_PID" | head -n 1)
		[ -n "$ENGINE" ] || sleep 0.05
		n=$((n - 1))
	done
	[ -n "$ENGINE" ] || die "no engine child under $DAEMON_PID"
	E2E_PIDS+=("$ENGINE")
}

table_dark() {
	local t
	t=$(gw nft list table inet spa_gateway 2>/dev/null) || return 1
	grep -q 'hook input.*policy drop' <<<"$t" || return 1
	# A forward chain, if there is one, drops by default too.
	! grep 'hook forward' <<<"$t" | grep -qv 'policy drop'
}

in_set() {
	gw nft list set inet spa_gateway in4 2>/dev/null | grep -q "$AG_IP . tcp . 8080"
}

# sleep_until NS: sleep until date +%s%N reaches NS.
sleep_until() {
	local left=$(( ($1 - $(date +%s%N)) / 1000000 ))
	[ "$left" -gt 0 ] && sleep "$((left / 1000)).$(printf '%03d' $((left % 1000)))"
	return 0
}

# round HOW: one stop of the daemon (term, kill-main, kill-engine) and the
# restart after it.
round() {
	local how=$1 k_old=$WORK/$1.old.knock k_fut=$WORK/$1.future.knock
	local mark t0 t_fut main=$DAEMON_PID engine=$ENGINE
	say "# --- $how"
	mark=$(audit_mark "$A")
	check "alice knocks (saved)" knock "$CRED" --save "$k_old" web
	expect_audit "$A" "$mark" accept ok "the knock is accepted"
	"$WORK/knockgen" "$CRED" "$AHEAD_MS" 4 web >"$k_fut" ||
	    die "knockgen failed"
	mark=$(audit_mark "$A")
	t_fut=$(( $(date +%s%N) + AHEAD_MS * 1000000 ))
	send_udp "$k_fut" "$GW_IP" "$KNOCK_PORT"
	t0=$(date +%s%N)
	expect_audit "$A" "$mark" accept ok "a knock stamped ${AHEAD_MS} ms ahead, 4 s, is accepted"
	check "the connect succeeds" reachable "$GW_IP" 8080

	case $how in
	term)
		kill -TERM "$main"
		check "SIGTERM: the main process exits" wait_gone "$main" 5
		check "SIGTERM: the engine exits" wait_gone "$engine" 5 ;;
	kill-main)
		kill -KILL "$main"
		check "kill -9 main: the main process is gone" wait_gone "$main" 2
		check "kill -9 main: the engine exits by itself" wait_gone "$engine" 5 ;;
	kill-engine)
		kill -KILL "$engine"
		check "kill -9 engine: the engine is gone" wait_gone "$engine" 2
		check "kill -9 engine: the privileged process exits by itself" \
		    wait_gone "$main" 5 ;;
	esac
	alive "$main" || forget "$main"
	alive "$engine" || forget "$engine"

	check "$how: the table is still there with policy drop" table_dark
	check "$how: the opening is still in the set before its expiry" in_set
	check "$how: and still lets alice in before its expiry" \
	    reachable "$GW_IP" 8080
	check "$how: a port never opened stays closed" unreachable "$GW_IP" 9090
	check "$how: another source address stays shut out" \
	    unreachable "$GW_IP" 8080 "$AG_IP2"
	sleep_until $(( t0 + 4400000000 ))
	check "$how: the opening expired on time (4 s) without the daemon" \
	    unreachable "$GW_IP" 8080
	check_not "$how: the set no longer holds it" in_set
	check "$how: the table is still there with policy drop" table_dark
	if [ -e "$A/control.sock" ]; then
		say "# $how left its control socket behind (stale)"
	fi

	start
	check "$how: restart succeeds with no cleanup; table with policy drop" table_dark
	check "$how: the new control socket answers (spa-admin metrics)" \
	    sh -c "'$ADMIN' --config-dir '$A' metrics | grep -q spa_knocks_total"
	check "$how: nothing is open after the restart" unreachable "$GW_IP" 8080
	mark=$(audit_mark "$A")
	send_udp "$k_fut" "$GW_IP" "$KNOCK_PORT"
	expect_audit "$A" "$mark" refuse replay \
	    "$how: the knock stamped ahead, accepted before, is refused after the restart"
	mark=$(audit_mark "$A")
	send_udp "$k_old" "$GW_IP" "$KNOCK_PORT"
	expect_audit "$A" "$mark" refuse "replay|stale" \
	    "$how: the ordinary knock accepted before is refused after the restart"
	check "$how: the replays open nothing" unreachable "$GW_IP" 8080
	# A knock made now is older than the one accepted ahead of time: wait
	# until our clock passes that one (the floor), then knock afresh.
	sleep_until $(( t_fut + 200000000 ))
	mark=$(audit_mark "$A")
	check "$how: a fresh knock is sent" knock "$CRED" web
	expect_audit "$A" "$mark" accept ok "$how: the fresh knock is accepted"
	check "$how: the connect succeeds" reachable "$GW_IP" 8080
}

start
check "the table is installed with policy drop" table_dark
round term
round kill-main
round kill-engine
daemon_kill TERM || nok "the daemon did not stop on SIGTERM"
check "at the end the engine is gone too" wait_gone "$ENGINE" 5
