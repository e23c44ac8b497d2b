#!/bin/bash
# SPDX-License-Identifier: ISC
# 24: one credential file, many knockers at once: 3 processes, each with 4
# threads knocking 3 times through one shared handle (build/tests/test_client
# in its load mode, which dlopen()s the built library), then a Python program
# whose 4 threads share one spa.Client. Every knock must be accepted: the audit
# log gets exactly one "ok" line per knock and nothing else. The counts stay
# under the gateway's per-agent limit (20 knocks/s, burst 50).
#
#   netns GW                                   netns AG
#   +---------------------------+    veth      +--------------------------+
#   | spa-gatewayd              | eth0 -- eth0 | 3 x test_client (4       |
#   | service tcp/8080 (web)    |              |  threads each), python3  |
#   | 10.200.0.1                |              |  (4 threads); alice.cred |
#   +---------------------------+              +--------------------------+
#   policy: dev = web, max_duration 30

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_begin 24-threads
LOADER=$BUILD/tests/test_client
[ -x "$LOADER" ] || die "missing $LOADER (make e2e or make unit builds it)"

web_gateway

# wait_lines DIR MARK N: wait (bounded, 10 s) until N audit lines follow MARK.
wait_lines() {
	local n=200
	while [ "$n" -gt 0 ] && [ "$(audit_mark "$1")" -lt "$(($2 + $3))" ]; do
		sleep 0.05; n=$((n - 1))
	done
	[ "$(audit_mark "$1")" -ge "$(($2 + $3))" ]
}
# all_ok DIR MARK N: exactly N lines after MARK, each alice / accept / ok.
all_ok() {
	local lines
	lines=$(tail -n +"$(($2 + 1))" "$1/audit.log")
	[ "$(printf '%s\n' "$lines" | grep -c .)" -eq "$3" ] || return 1
	printf '%s\n' "$lines" | "$PY" -c '
import json, sys
bad = [l for l in sys.stdin if not (lambda j: j.get("agent") == "alice" and
       j.get("decision") == "accept" and j.get("reason") == "ok")(json.loads(l))]
for l in bad:
    print("    not ok:", l.strip())
sys.exit(1 if bad else 0)'
}

check "before any knock the service is unreachable" unreachable "$GW_IP" 8080

mark=$(audit_mark "$A")
pids=()
for i in 1 2 3; do
	ip netns exec "$AG" timeout 20 "$LOADER" knock "$WORK/alice.cred" "$GW_IP" 4 3 web \
	    >"$WORK/load.$i" 2>&1 &
	pids+=("$!")
	E2E_PIDS+=("$!")
done
okp=0
for p in "${pids[@]}"; do
	wait "$p" && okp=$((okp + 1))
done
keep=()			# reaped: the trap must never signal these PIDs again
for p in "${E2E_PIDS[@]}"; do
	[[ " ${pids[*]} " == *" $p "* ]] || keep+=("$p")
done
E2E_PIDS=("${keep[@]}")
check "3 processes x 4 threads sent their 3 knocks each ($okp of 3 processes)" \
    test "$okp" = 3
check "36 audit lines appear" wait_lines "$A" "$mark" 36
check "all 36 knocks were accepted (alice, accept, ok), nothing else" \
    all_ok "$A" "$mark" 36
check "the service is reachable" reachable "$GW_IP" 8080

sleep 1			# let the agent's rate budget refill a little
THREADS_PY='
import sys, threading, spa
c = spa.Client(sys.argv[1], gateway=sys.argv[2])
errors = []
def run():
    for _ in range(2):
        try:
            c.knock("web", duration=10)
        except spa.SpaError as e:
            errors.append(e)
ts = [threading.Thread(target=run) for _ in range(4)]
for t in ts: t.start()
for t in ts: t.join()
c.close()
print("errors", len(errors), *errors)
sys.exit(1 if errors else 0)
'
mark=$(audit_mark "$A")
check "4 Python threads share one spa.Client and knock twice each" \
    ag env PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$ROOT/spa-client/python" SPA_CLIENT_LIB="$BUILD/libspa-client.so.1" \
    timeout 20 "$PY" -c "$THREADS_PY" "$WORK/alice.cred" "$GW_IP"
check "8 audit lines appear" wait_lines "$A" "$mark" 8
check "all 8 knocks were accepted" all_ok "$A" "$mark" 8
