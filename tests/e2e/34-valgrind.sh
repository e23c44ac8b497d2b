#!/bin/bash
# SPDX-License-Identifier: ISC
# 34-valgrind: the daemon under valgrind's memcheck, both processes (the
# privileged main and the engine it forks: --trace-children=yes, one log per
# PID). Knocks accepted and refused (replay, bad_auth, unknown_key, malformed,
# not_entitled, revoked), an agent added and picked up by a reload, a live
# revocation with --kill-sessions (the privileged side's conntrack path),
# metrics and openings over the control socket, then SIGTERM. Every PID's
# log must say "ERROR SUMMARY: 0 errors" and "definitely lost: 0 bytes" (or
# "All heap blocks were freed"), and the main process must not exit 99
# (--error-exitcode). Slow: each wait is generous but bounded. --vgdb=no:
# the engine, once unprivileged, could not remove vgdb's FIFOs from /tmp.
#
#   netns GW                                   netns AG
#   +---------------------------+    veth      +--------------------------+
#   | valgrind spa-gatewayd     | eth0 -- eth0 | spa-knock (alice, carol; |
#   |   main + engine, logs     |              |   eve of another gateway)|
#   |   $WORK/vg/vg.PID.log     |              | python senders, clients  |
#   | service tcp/8080, 9090    |              | 10.200.0.2               |
#   | 10.200.0.1                |              +--------------------------+
#   +---------------------------+

# valgrind cannot run ASan-instrumented binaries: under make SANITIZE=1 this
# test says so and runs nothing (the sanitizers check the same code then).
if [ "${SPA_SANITIZE:-}" = 1 ]; then
	echo "34-valgrind: 0 passed, 0 failed, 1 skipped (SANITIZE=1 build)"
	exit 0
fi
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_begin 34-valgrind

command -v valgrind >/dev/null || die "missing tool: valgrind"
ns_setup
A=$WORK/gw
gw_tree "$A"
agent_add "$A" alice dev "$WORK/alice.cred"
gw_tree "$WORK/other"
agent_add "$WORK/other" eve dev "$WORK/eve.cred"
service_start 8080 9090
VG=$WORK/vg
mkdir -p "$VG" && chmod 1777 "$VG"	# the engine's log is reopened at fork
LOG=$A/daemon.valgrind.log
E2E_DAEMON_LOGS+=("$LOG")

vg_run() {
	ip netns exec "$GW" valgrind --error-exitcode=99 --leak-check=full \
	    --errors-for-leak-kinds=definite --track-fds=no --trace-children=yes \
	    --vgdb=no --log-file="$VG/vg.%p.log" \
	    "$GATEWAYD" --config-dir "$A" --foreground 2>"$LOG"
	echo $? >"$WORK/vg.rc"
}
bg vg_run
WRAP=$BG_PID
n=1200		# 60 s
MAIN=
ENGINE=
while [ "$n" -gt 0 ] && ! grep -q ready "$LOG" 2>/dev/null; do
	alive "$WRAP" || break
	sleep 0.05; n=$((n - 1))
done
grep -q ready "$LOG" || { tail -n 20 "$LOG"; die "spa-gatewayd under valgrind not ready within 60 s"; }
MAIN=$(pgrep -P "$WRAP" | head -n 1)
[ -n "$MAIN" ] && ENGINE=$(pgrep -P "$MAIN" | head -n 1)
[ -n "$ENGINE" ] || die "no engine process under $MAIN"
E2E_PIDS+=("$ENGINE")
say "# under valgrind: main $MAIN, engine $ENGINE ($(grep ready "$LOG"))"

# Under valgrind everything is slower: our own bounded waits.
expect_slow() {		# like expect_audit, 15 s
	local dir=$1 mark=$2 decision=$3 reasons=$4 desc=$5 line d r
	line=$(audit_next "$dir" "$mark" 15) || { nok "$desc: no audit line within 15 s"; return 1; }
	d=$(json_get "$line" decision)
	r=$(json_get "$line" reason)
	if [ "$d" = "$decision" ] && [[ $r =~ ^($reasons)$ ]]; then
		ok "$desc (audit: $d, $r)"
	else
		nok "$desc: expected $decision/$reasons, audit says: $line"
	fi
}
reachable_slow() { try_connect "$GW_IP" 8080 10 "${1:-}" >/dev/null; }

# --- accepted and refused knocks ---------------------------------------------

mark=$(audit_mark "$A")
check "alice knocks" knock "$WORK/alice.cred" --duration 5 --save "$WORK/alice.knock" web
expect_slow "$A" "$mark" accept ok "the knock is accepted"
check "the connect succeeds" reachable_slow

mark=$(audit_mark "$A")
send_udp "$WORK/alice.knock" "$GW_IP" "$KNOCK_PORT"
expect_slow "$A" "$mark" refuse replay "a replay is refused"

FLIP_PY='
import sys
d = bytearray(open(sys.argv[1], "rb").read())
d[60] ^= 0x5a
open(sys.argv[2], "wb").write(bytes(d))
'
knock "$WORK/alice.cred" --gateway 127.0.0.1 --save "$WORK/unsent.knock" web
"$PY" -c "$FLIP_PY" "$WORK/unsent.knock" "$WORK/flipped.knock"
mark=$(audit_mark "$A")
send_udp "$WORK/flipped.knock" "$GW_IP" "$KNOCK_PORT"
expect_slow "$A" "$mark" refuse bad_auth "a knock with a flipped body byte is refused"

mark=$(audit_mark "$A")
knock "$WORK/eve.cred" web
expect_slow "$A" "$mark" refuse unknown_key "another gateway's agent is refused"

head -c 300 /dev/urandom >"$WORK/garbage"
printf 'SK\001\000' | dd of="$WORK/garbage" conv=notrunc status=none
mark=$(audit_mark "$A")
send_udp "$WORK/garbage" "$GW_IP" "$KNOCK_PORT"
expect_slow "$A" "$mark" refuse malformed "random bytes are refused"

mark=$(audit_mark "$A")
knock "$WORK/alice.cred" db
expect_slow "$A" "$mark" refuse not_entitled "a knock for a resource not entitled is refused"

# --- reload, revoke ------------------------------------------------------------------

agent_add "$A" carol ops "$WORK/carol.cred"
check "spa-admin reload" "$ADMIN" --config-dir "$A" reload
mark=$(audit_mark "$A")
check "carol (added, then reload) knocks" knock "$WORK/carol.cred" --duration 5 db
expect_slow "$A" "$mark" accept ok "carol's knock is accepted after the reload"
HOLD_PY='
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
s.makefile("rb").readline()
print("connected", flush=True)
time.sleep(20)
'
bg ag timeout 30 "$PY" -c "$HOLD_PY" "$GW_IP" 9090 >"$WORK/hold.out" 2>&1
n=200
while [ "$n" -gt 0 ] && ! grep -q connected "$WORK/hold.out"; do sleep 0.05; n=$((n - 1)); done
check "carol holds a connection to db" grep -q connected "$WORK/hold.out"
check "spa-admin agent revoke carol --kill-sessions" \
    "$ADMIN" --config-dir "$A" agent revoke carol --kill-sessions
check "spa-admin reload" "$ADMIN" --config-dir "$A" reload
mark=$(audit_mark "$A")
knock "$WORK/carol.cred" db
expect_slow "$A" "$mark" refuse revoked "carol's knock is refused after the revocation"
check "spa-admin metrics answers" sh -c "'$ADMIN' --config-dir '$A' metrics | grep -q spa_knocks_total"
check "spa-admin openings answers" "$ADMIN" --config-dir "$A" openings >/dev/null

# --- stop and read valgrind's verdicts ------------------------------------------------

say "# SIGTERM to $MAIN"
kill -TERM "$MAIN"
check "the main process exits within 60 s" wait_gone "$MAIN" 60
check "the engine exits within 60 s" wait_gone "$ENGINE" 60
check "the wrapper saw the exit" wait_gone "$WRAP" 10
rc=$(cat "$WORK/vg.rc" 2>/dev/null)
say "# main's exit status under valgrind: ${rc:-none}"
check "the main process did not exit with valgrind's error code 99" \
    test -n "$rc" -a "$rc" != 99

logs=("$VG"/vg.*.log)
check "one valgrind log per process, at least main and engine (${#logs[@]})" \
    test "${#logs[@]}" -ge 2
for pid in "$MAIN" "$ENGINE"; do
	check "valgrind wrote a log for PID $pid" test -s "$VG/vg.$pid.log"
done
for l in "${logs[@]}"; do
	p=${l##*/vg.}; p=${p%.log}
	who=process; [ "$p" = "$MAIN" ] && who=main; [ "$p" = "$ENGINE" ] && who=engine
	summary=$(grep -m1 'ERROR SUMMARY' "$l" | sed 's/^==[0-9]*== //')
	leak=$(grep -E -m1 'definitely lost:|All heap blocks were freed' "$l" | sed 's/^==[0-9]*== //')
	say "# $who $p: $summary; ${leak:-no leak summary}"
	if grep -q 'ERROR SUMMARY: 0 errors' "$l"; then
		ok "$who $p: no memory errors"
	else
		nok "$who $p: $summary"
		grep -q '   at 0x' "$l" || say "    (no error context in this log: a forked" \
		    "child's count includes the errors its parent made before the fork)"
		grep -E -A12 '^==[0-9]+== (Invalid|Conditional|Syscall|Use of|Mismatched|Source and|Argument)' "$l" |
		    head -n 40 | sed 's/^/    /'
	fi
	if grep -qE 'definitely lost: 0 bytes|All heap blocks were freed' "$l"; then
		ok "$who $p: no definite leak"
	else
		nok "$who $p: ${leak:-no leak summary in the log}"
		grep -E -A12 'are definitely lost' "$l" | head -n 40 | sed 's/^/    /'
	fi
done
