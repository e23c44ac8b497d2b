#!/bin/bash
# SPDX-License-Identifier: ISC
# 21: spa-knock ... --wait HOST:PORT -- COMMAND knocks, waits until the
# resource answers, then execs the command (which needs no retries of its
# own); wrong credentials fail clearly and never run the command; the exit
# status is the command's. --keepalive re-knocks while a long job runs, so it
# can open a new connection after the first opening would have expired;
# signals reach the job and its fate is spa-knock's.
#
#   netns GW                                   netns AG
#   +---------------------------+    veth      +--------------------------+
#   | spa-gatewayd              | eth0 -- eth0 | spa-knock (alice: dev;   |
#   | service tcp/8080 (web)    |              |  carol: another gateway) |
#   | 10.200.0.1                |              | 10.200.0.2               |
#   +---------------------------+              +--------------------------+
#   policy: dev = web, max_duration 30; the tests ask for 2 s openings

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_begin 21-knock-exec

web_gateway --other
ALICE=$WORK/alice.cred

# One connect attempt, no retry: argv host port timeout; prints the greeting.
ONCE_PY='
import socket, sys
try:
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), float(sys.argv[3]))
    s.settimeout(2)
    line = s.makefile("rb").readline()
    sys.stdout.write(line.decode())
    sys.exit(0 if line else 1)
except OSError as e:
    print("connect failed:", e, file=sys.stderr)
    sys.exit(1)
'
# A long job: connect once, work for argv[3] s, connect again (one attempt).
LONG_PY='
import socket, sys, time
def once():
    try:
        s = socket.create_connection((sys.argv[1], int(sys.argv[2])), 1)
        ok = s.makefile("rb").readline().startswith(b"hello")
        s.close()
        return ok
    except OSError:
        return False
if not once():
    print("first connect failed", flush=True); sys.exit(2)
print("first connect ok", flush=True)
time.sleep(float(sys.argv[3]))
if not once():
    print("second connect failed", flush=True); sys.exit(3)
print("second connect ok", flush=True)
'
# A job that reports a SIGTERM in argv[1] and exits 3; "ready" in argv[2].
SIG_PY='
import signal, sys, time
def term(sig, frame):
    open(sys.argv[1], "w").write("got TERM\n"); sys.exit(3)
signal.signal(signal.SIGTERM, term)
open(sys.argv[2], "w").write("ready\n")
time.sleep(20)
'

# forget PID: a reaped background PID must never be signalled by the trap.
forget() {
	local p keep=()
	for p in "${E2E_PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	E2E_PIDS=("${keep[@]}")
}
# reap PID: wait (bounded) for a signalled background PID; its status in RC.
reap() {
	local n=100
	while [ "$n" -gt 0 ] && alive "$1"; do sleep 0.05; n=$((n - 1)); done
	wait "$1" 2>/dev/null; RC=$?
	forget "$1"
}
# wait_file FILE SECONDS
wait_file() {
	local n=$(($2 * 20))
	while [ "$n" -gt 0 ] && [ ! -s "$1" ]; do sleep 0.05; n=$((n - 1)); done
	[ -s "$1" ]
}
# kn ARGS...: spa-knock in the agent namespace; output in $WORK/out, $WORK/err.
kn() { knock "$@" >"$WORK/out" 2>"$WORK/err"; }
rc_is() { [ "$RC" = "$1" ] || { say "    exit status $RC, wanted $1"; sed 's/^/    /' "$WORK/err"; false; }; }
err_has() { grep -q -- "$1" "$WORK/err" || { sed 's/^/    /' "$WORK/err"; false; }; }
W="--wait $GW_IP:8080"

check_not "before any knock a single connect fails" \
    ag timeout 5 "$PY" -c "$ONCE_PY" "$GW_IP" 8080 1 2>/dev/null

# --- wrong credentials: clear error, the command never runs ---
printf '[agent]\nname = x\n' >"$WORK/bad.cred"; chmod 600 "$WORK/bad.cred"
mark=$(audit_mark "$A")
kn "$WORK/bad.cred" $W web -- touch "$WORK/ran"; RC=$?
check "corrupt credentials: exit 1" rc_is 1
check "  naming the file" err_has "credential file unreadable or invalid: $WORK/bad.cred"
check "  the command did not run" test ! -e "$WORK/ran"
check "  no knock was sent" audit_quiet "$A" "$mark" 0.3

kn "$WORK/carol.cred" $W --timeout 1 web -- touch "$WORK/ran"; RC=$?
check "another gateway's credentials: exit 1 after the --timeout" rc_is 1
check "  saying the resource did not answer after the knock" \
    err_has "knock and wait: no answer from the resource after the knock: $GW_IP:8080 did not answer within 1000 ms"
check "  the command did not run" test ! -e "$WORK/ran"
expect_audit "$A" "$mark" refuse "unknown_key|bad_auth" "  the gateway refused the knock"

kn "$ALICE" --wait "$GW_IP" web -- touch "$WORK/ran"; RC=$?
check "a --wait without a port: exit 1" rc_is 1
check "  saying what is expected" err_has "HOST:PORT"
check "  the command did not run" test ! -e "$WORK/ran"

# --- knock, wait, exec ---
mark=$(audit_mark "$A")
kn "$ALICE" --duration 2 $W web -- "$PY" -c "$ONCE_PY" "$GW_IP" 8080 1; RC=$?
check "knock, --wait, then exec a one-shot client: exit 0" rc_is 0
check "  the client got the greeting with a single connect" \
    grep -q "hello from the protected service on port 8080" "$WORK/out"
expect_audit "$A" "$mark" accept ok "  one knock, accepted"

kn "$ALICE" --duration 2 $W web -- sh -c 'exit 7'; RC=$?
check "the exit status is the command's (7)" rc_is 7
kn "$ALICE" --duration 2 web -- /nonexistent/command; RC=$?
check "a command that does not exist: exit 127" rc_is 127
kn "$ALICE" --keepalive web; RC=$?
check "--keepalive without a command: usage error (2)" rc_is 2

# --- a long job: the opening (2 s) expires under it, unless --keepalive ---
sleep 2.2
kn "$ALICE" --duration 2 $W web -- "$PY" -c "$LONG_PY" "$GW_IP" 8080 4; RC=$?
check "without --keepalive a job's new connect after 4 s fails (exit 3)" rc_is 3
check "  (its first connect worked)" grep -q "first connect ok" "$WORK/out"

sleep 0.5
mark=$(audit_mark "$A")
kn "$ALICE" --keepalive --duration 2 $W web -- "$PY" -c "$LONG_PY" "$GW_IP" 8080 4; RC=$?
check "with --keepalive the same job succeeds (exit 0)" rc_is 0
check "  its second connect, 4 s later, worked" grep -q "second connect ok" "$WORK/out"
n=$(tail -n +"$((mark + 1))" "$A/audit.log" | grep -c '"reason":"ok"')
check "  spa-knock re-knocked while it ran ($n accepted knocks, >= 4)" test "$n" -ge 4

# --- signals are forwarded; the job's fate is spa-knock's ---
# Started here, not with lib.sh's bg: wait must give us its exit status.
ip netns exec "$AG" "$KNOCK" --credentials "$ALICE" --gateway "$GW_IP" --keepalive \
    --duration 2 web -- "$PY" -c "$SIG_PY" "$WORK/got" "$WORK/ready" 2>"$WORK/err" &
pid=$!
E2E_PIDS+=("$pid")
check "a --keepalive job is running" wait_file "$WORK/ready" 5
kill -TERM "$pid"
reap "$pid"
check "SIGTERM to spa-knock reaches the job" grep -q "got TERM" "$WORK/got"
check "  and spa-knock exits with the job's status (3)" rc_is 3

ip netns exec "$AG" "$KNOCK" --credentials "$ALICE" --gateway "$GW_IP" --keepalive \
    --duration 2 web -- sleep 20 &
pid=$!
E2E_PIDS+=("$pid")
sleep 0.5
kill -HUP "$pid"
reap "$pid"
check "a job killed by the forwarded SIGHUP: spa-knock dies of SIGHUP too (129)" rc_is 129
