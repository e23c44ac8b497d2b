# SPDX-License-Identifier: ISC
# shellcheck shell=bash
# Shared helpers for the end-to-end tests and the demo. Source it, then call
# e2e_begin NAME. Every test builds this topology in namespaces of its own:
#
#   netns $GW (spa-PID-gw)                      netns $AG (spa-PID-ag)
#   +-----------------------------+             +---------------------------+
#   | spa-gatewayd (nft table,    |   veth      | spa-knock, clients,       |
#   |   pcap on eth0)             | eth0 - eth0 |   nmap, tcpdump           |
#   | service on tcp/8080, 9090   |             |                           |
#   | 10.200.0.1/24 fd00:200::1   |             | 10.200.0.2/24, .3 (second |
#   +-----------------------------+             |  source) fd00:200::2, ::3 |
#                                               +---------------------------+
#
# Both sides carry permanent neighbour entries for each other, so nothing
# needs ARP or neighbour discovery: a capture on the agent side can demand
# literally zero frames from the gateway's MAC. Traffic never leaves these
# namespaces (or loopback). The EXIT trap kills only the PIDs started here
# and deletes the namespaces and the scratch directory, even on failure.

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$E2E_DIR/../.." && pwd)
BUILD=${SPA_BUILD:-$ROOT/build}
GATEWAYD=$BUILD/spa-gatewayd
ADMIN=$BUILD/spa-admin
KNOCK=$BUILD/spa-knock
PY=/usr/bin/python3

GW_IP=10.200.0.1
AG_IP=10.200.0.2
AG_IP2=10.200.0.3
GW_IP6=fd00:200::1
AG_IP6=fd00:200::2
AG_IP6_2=fd00:200::3
KNOCK_PORT=62201

E2E_NAME=e2e
E2E_PASS=0
E2E_FAIL=0
E2E_SUMMARY=1		# the demo turns the summary line off
E2E_PIDS=()		# everything started in the background, killed on exit
E2E_NS=()
E2E_DAEMON_LOGS=()
LINK_UP_AT=0
WORK=

# --- reporting ---------------------------------------------------------------

say() { printf '%s\n' "$*"; }
ok() { E2E_PASS=$((E2E_PASS + 1)); say "ok   - $*"; }
nok() { E2E_FAIL=$((E2E_FAIL + 1)); say "FAIL - $*"; }

# check DESC CMD...: one assertion, passes when CMD exits 0.
check() {
	local desc=$1; shift
	if "$@"; then ok "$desc"; else nok "$desc"; fi
}

# check_not DESC CMD...: passes when CMD exits non-zero.
check_not() {
	local desc=$1; shift
	if "$@"; then nok "$desc"; else ok "$desc"; fi
}

# die MSG: a broken set-up step; counts as a failure and ends the script.
die() { nok "$*"; exit 1; }

# --- lifetime ----------------------------------------------------------------

# e2e_begin NAME: check we can run, make the scratch dir, install the trap.
e2e_begin() {
	E2E_NAME=$1
	# The script's own stdout and stderr: a signal may run the trap while a
	# command's output is redirected (to /dev/null, say), the summary must
	# not follow it there.
	exec 8>&1 9>&2
	trap e2e_end EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	[ "$(id -u)" = 0 ] || die "must run as root (network namespaces, nftables)"
	local b
	for b in "$GATEWAYD" "$ADMIN" "$KNOCK"; do
		[ -x "$b" ] || die "missing $b (run make first)"
	done
	for b in ip nft tcpdump nmap timeout "$PY"; do
		command -v "$b" >/dev/null || die "missing tool: $b"
	done
	WORK=$(mktemp -d /tmp/spa-e2e.XXXXXX) || die "mktemp"
	# Like /etc: traversable, so the daemon's unprivileged part can reach
	# the files meant for it (what is secret, spa-admin makes 0600).
	chmod 755 "$WORK"
}

# kill_tree PID [SIG]: PID and its descendants (found by parent PID only).
kill_tree() {
	local pid=$1 sig=${2:-TERM} kids k
	kids=$(pgrep -P "$pid" 2>/dev/null)
	for k in $kids; do kill_tree "$k" "$sig"; done
	kill "-$sig" "$pid" 2>/dev/null
}

# alive PID: the process exists and is not a zombie.
alive() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st%% *}
	[ -n "$st" ] && [ "$st" != Z ]
}

# wait_gone PID SECONDS: wait (bounded) until PID has exited.
wait_gone() {
	local pid=$1 n=$(($2 * 20))
	while [ "$n" -gt 0 ] && alive "$pid"; do
		sleep 0.05; n=$((n - 1))
	done
	! alive "$pid"
}

e2e_end() {
	local rc=$? pid ns log
	trap - EXIT INT TERM
	exec 1>&8 2>&9
	for pid in "${E2E_PIDS[@]}"; do kill_tree "$pid" TERM; done
	for pid in "${E2E_PIDS[@]}"; do
		wait_gone "$pid" 2 || kill_tree "$pid" KILL
	done
	for ns in "${E2E_NS[@]}"; do ip netns del "$ns" 2>/dev/null; done
	if [ "$E2E_FAIL" -gt 0 ] || [ "$rc" -ne 0 ]; then
		for log in "${E2E_DAEMON_LOGS[@]}"; do
			[ -s "$log" ] || continue
			say "--- last lines of $log"
			tail -n 15 "$log" | sed 's/^/    /'
		done
	fi
	[ -n "$WORK" ] && [ -z "${SPA_KEEP:-}" ] && rm -rf "$WORK"
	[ "$rc" -ne 0 ] && [ "$E2E_FAIL" -eq 0 ] && E2E_FAIL=1
	[ "$E2E_SUMMARY" = 1 ] && say "$E2E_NAME: $E2E_PASS passed, $E2E_FAIL failed"
	[ "$E2E_FAIL" -eq 0 ] || exit 1
	exit "$rc"
}

# bg CMD...: start CMD in the background and remember its PID in BG_PID.
# Disowned: bash reaps it quietly (no "Killed" job notices); use wait_gone.
bg() {
	"$@" &
	BG_PID=$!
	disown "$BG_PID"
	E2E_PIDS+=("$BG_PID")
}

# --- namespaces --------------------------------------------------------------

gw() { ip netns exec "$GW" "$@"; }
ag() { ip netns exec "$AG" "$@"; }

# ns_setup: the two namespaces, the veth pair, addresses, neighbours.
ns_setup() {
	GW=spa-$$-gw
	AG=spa-$$-ag
	local n
	for n in "$GW" "$AG"; do
		ip netns add "$n" || die "ip netns add $n"
		E2E_NS+=("$n")
		# No router solicitations or DAD: the gateway stays silent.
		ip netns exec "$n" sysctl -qw net.ipv6.conf.default.accept_ra=0 \
		    net.ipv6.conf.default.router_solicitations=0 \
		    net.ipv6.conf.default.accept_dad=0 \
		    net.ipv6.conf.default.dad_transmits=0 >/dev/null
		ip -n "$n" link set lo up
	done
	ip -n "$GW" link add eth0 type veth peer name eth0 netns "$AG" ||
	    die "veth pair"
	GW_MAC=$(gw cat /sys/class/net/eth0/address)
	AG_MAC=$(ag cat /sys/class/net/eth0/address)
	ip -n "$GW" addr add "$GW_IP/24" dev eth0
	ip -n "$GW" addr add "$GW_IP6/64" dev eth0 nodad
	ip -n "$AG" addr add "$AG_IP/24" dev eth0
	ip -n "$AG" addr add "$AG_IP2/24" dev eth0
	ip -n "$AG" addr add "$AG_IP6/64" dev eth0 nodad
	# Deprecated, so never chosen as a source unless bound explicitly.
	ip -n "$AG" addr add "$AG_IP6_2/64" dev eth0 nodad preferred_lft 0
	for n in "$AG_IP" "$AG_IP2" "$AG_IP6" "$AG_IP6_2"; do
		ip -n "$GW" neigh replace "$n" lladdr "$AG_MAC" dev eth0 nud permanent
	done
	for n in "$GW_IP" "$GW_IP6"; do
		ip -n "$AG" neigh replace "$n" lladdr "$GW_MAC" dev eth0 nud permanent
	done
	ip -n "$GW" link set eth0 up || die "link up"
	ip -n "$AG" link set eth0 up || die "link up"
	LINK_UP_AT=$(date +%s%N)
}

# link_settled: wait until the link has been up for 2 s; the kernel sends its
# MLD reports (the only frames the gateway sends unprompted) within ~1 s.
link_settled() {
	local now left
	now=$(date +%s%N)
	left=$(( (LINK_UP_AT + 2000000000 - now) / 1000000 ))
	[ "$left" -gt 0 ] && sleep "$(printf '0.%03d' "$left")" 2>/dev/null
	[ "$left" -gt 999 ] && sleep 1
	return 0
}

# --- the gateway's configuration ----------------------------------------------

DEFAULT_POLICY='[resource:web]
proto = tcp
port = 8080

[resource:db]
proto = tcp
port = 9090

[enclave:dev]
resources = web
max_duration = 5
default_duration = 3

[enclave:ops]
resources = db
max_duration = 5
default_duration = 3
'

# gw_tree DIR [POLICY]: spa-admin init, then our own policy.
gw_tree() {
	local dir=$1 policy=${2:-$DEFAULT_POLICY}
	"$ADMIN" init --config-dir "$dir" --interface eth0 --address "$GW_IP" \
	    >"$WORK/init.out" 2>&1 || { cat "$WORK/init.out"; die "spa-admin init $dir"; }
	printf '%s' "$policy" >"$dir/policy.ini"
}

# agent_add DIR NAME ENCLAVE CREDFILE
agent_add() {
	"$ADMIN" --config-dir "$1" agent add "$2" --enclave "$3" --output "$4" \
	    >"$WORK/add.out" 2>&1 || { cat "$WORK/add.out"; die "spa-admin agent add $2"; }
}

# The policy of the client tests: resource web (tcp 8080) in enclave dev.
WEB_POLICY='[resource:web]
proto = tcp
port = 8080

[enclave:dev]
resources = web
max_duration = 30
'

# web_gateway [--other]: the namespaces; the gateway tree A=$WORK/gw with
# WEB_POLICY and agent alice ($WORK/alice.cred); the service on 8080; the
# daemon. --other adds a second tree, $WORK/other, whose agent carol
# ($WORK/carol.cred) this gateway does not know.
web_gateway() {
	ns_setup
	A=$WORK/gw
	gw_tree "$A" "$WEB_POLICY"
	agent_add "$A" alice dev "$WORK/alice.cred"
	if [ "${1:-}" = --other ]; then
		gw_tree "$WORK/other" "$WEB_POLICY"
		agent_add "$WORK/other" carol dev "$WORK/carol.cred"
	fi
	service_start 8080
	daemon_start "$A"
}

# --- processes in the gateway namespace ----------------------------------------

# The protected service: greets, then echoes lines. Its lifetime is bounded.
SERVICE_PY='
import socket, sys, threading, time
def handle(c, port):
    try:
        c.settimeout(30)
        c.sendall(b"hello from the protected service on port %d\n" % port)
        for line in c.makefile("rb"):
            c.sendall(b"echo " + line)
    except OSError:
        pass
    finally:
        c.close()
def serve(s, port):
    while True:
        c, _ = s.accept()
        threading.Thread(target=handle, args=(c, port), daemon=True).start()
for port in map(int, sys.argv[1:]):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port))
    s.listen(64)
    threading.Thread(target=serve, args=(s, port), daemon=True).start()
print("listening", flush=True)
time.sleep(900)
'

# service_start PORT...: the TCP service inside the gateway namespace.
service_start() {
	local log=$WORK/service.log n=100
	bg ip netns exec "$GW" "$PY" -c "$SERVICE_PY" "$@" >"$log" 2>&1
	while [ "$n" -gt 0 ] && ! grep -q listening "$log"; do
		sleep 0.05; n=$((n - 1))
	done
	grep -q listening "$log" || { cat "$log"; die "service did not start"; }
}

# daemon_start DIR: spa-gatewayd in the gateway namespace; sets DAEMON_PID and
# waits (bounded) for its "ready" line.
daemon_start() {
	local dir=$1 log n=200
	log=$dir/daemon.$(date +%s%N).log
	E2E_DAEMON_LOGS+=("$log")
	bg ip netns exec "$GW" "$GATEWAYD" --config-dir "$dir" --foreground 2>"$log" >&2
	DAEMON_PID=$BG_PID
	DAEMON_LOG=$log
	while [ "$n" -gt 0 ] && ! grep -q ready "$log"; do
		alive "$DAEMON_PID" || break
		sleep 0.05; n=$((n - 1))
	done
	grep -q ready "$log" || { tail -n 20 "$log"; die "spa-gatewayd not ready"; }
}

# daemon_kill [SIG]: stop the daemon (and any helper processes it forked).
daemon_kill() {
	local p keep=()
	kill_tree "$DAEMON_PID" "${1:-TERM}"
	wait_gone "$DAEMON_PID" 5 || return 1
	for p in "${E2E_PIDS[@]}"; do		# reaped: never signal it again
		[ "$p" = "$DAEMON_PID" ] || keep+=("$p")
	done
	E2E_PIDS=("${keep[@]}")
}

# --- the agent side --------------------------------------------------------------

# knock CRED [ARGS...]: one knock from the agent namespace to the gateway.
knock() {
	local cred=$1; shift
	ag timeout 10 "$KNOCK" --credentials "$cred" --gateway "$GW_IP" "$@"
}

# Connect, read the greeting, print it. argv: host port seconds [source]
# Retries every few ms until the deadline: right after a knock the first
# SYN can lose the race with the opening.
CONNECT_PY='
import socket, sys, time
host, port, total = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
src = sys.argv[4] if len(sys.argv) > 4 else None
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
deadline = time.monotonic() + total
while True:
    left = deadline - time.monotonic()
    if left <= 0:
        sys.exit(1)
    s = socket.socket(fam, socket.SOCK_STREAM)
    try:
        if src:
            s.bind((src, 0))
        s.settimeout(min(left, 0.25))
        s.connect((host, port))
        s.settimeout(2)
        line = s.makefile("rb").readline()
        if line:
            sys.stdout.write(line.decode(errors="replace"))
            sys.exit(0)
    except OSError:
        pass
    finally:
        s.close()
    time.sleep(0.005)
'

# try_connect HOST PORT SECONDS [SOURCE]: 0 if the service answered in time.
try_connect() {
	ag timeout $(( ${3%.*} + 5 )) "$PY" -c "$CONNECT_PY" "$@"
}

# reachable HOST PORT [SOURCE]: connects within 3 s (after a knock).
reachable() {
	try_connect "$1" "$2" 3 "${3:-}" >/dev/null
}

# unreachable HOST PORT [SOURCE]: no connection within 1 s (a dropped SYN
# gets no answer; on a veth an allowed one is answered in microseconds).
unreachable() {
	! try_connect "$1" "$2" 1 "${3:-}" >/dev/null
}

# send_udp FILE HOST PORT [SOURCE]: send FILE's bytes as one datagram.
SEND_PY='
import socket, sys
data = open(sys.argv[1], "rb").read()
host, port = sys.argv[2], int(sys.argv[3])
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
if len(sys.argv) > 4:
    s.bind((sys.argv[4], 0))
s.sendto(data, (host, port))
'
send_udp() {
	ag timeout 5 "$PY" -c "$SEND_PY" "$@"
}

# --- the audit log -------------------------------------------------------------

# audit_mark DIR: the number of audit lines so far (pass it to audit_next).
audit_mark() {
	if [ -f "$1/audit.log" ]; then wc -l <"$1/audit.log"; else echo 0; fi
}

# audit_next DIR MARK [SECONDS]: wait (bounded) for line MARK+1 and print it.
audit_next() {
	local dir=$1 mark=$2 n=$(( ${3:-3} * 20 ))
	while [ "$n" -gt 0 ]; do
		if [ "$(audit_mark "$dir")" -gt "$mark" ]; then
			sed -n "$((mark + 1))p" "$dir/audit.log"
			return 0
		fi
		sleep 0.05; n=$((n - 1))
	done
	return 1
}

# json_get LINE FIELD: one field of a JSON audit line (arrays joined by ",").
JSON_PY='
import json, sys
try:
    v = json.loads(sys.argv[1]).get(sys.argv[2], "")
except ValueError:
    sys.exit(1)
if isinstance(v, list):
    v = ",".join(map(str, v))
print("" if v is None else v)
'
json_get() {
	"$PY" -c "$JSON_PY" "$1" "$2"
}

# expect_audit DIR MARK DECISION REASONS DESC: the next audit line after MARK
# has DECISION and a reason matching the extended regex REASONS. Sets
# AUDIT_LINE and AUDIT_REASON.
expect_audit() {
	local dir=$1 mark=$2 decision=$3 reasons=$4 desc=$5 d
	AUDIT_LINE=$(audit_next "$dir" "$mark" 3) || {
		AUDIT_REASON=
		nok "$desc: no audit line within 3 s"
		return 1
	}
	d=$(json_get "$AUDIT_LINE" decision)
	AUDIT_REASON=$(json_get "$AUDIT_LINE" reason)
	if [ "$d" = "$decision" ] && [[ $AUDIT_REASON =~ ^($reasons)$ ]]; then
		ok "$desc (audit: $d, $AUDIT_REASON)"
	else
		nok "$desc: expected $decision/$reasons, audit says: $AUDIT_LINE"
		return 1
	fi
}

# audit_quiet DIR MARK SECONDS: no new audit line appears for SECONDS.
audit_quiet() {
	sleep "$3"
	[ "$(audit_mark "$1")" -eq "$2" ]
}

# --- scans ---------------------------------------------------------------------

# nmap_scan ARGS...: nmap from the agent namespace, bounded: no retries, a
# high rate, a timeout; --send-ip sends raw IP through the kernel (which has
# the gateway's MAC as a permanent neighbour) instead of nmap's own ARP.
nmap_scan() {
	ag timeout 60 nmap -n -Pn --send-ip --max-retries 0 --min-rate 20000 "$@" 2>&1
}

# scan_dark DESC NMAP-ARGS...: the scan completes and reports no port open or
# closed (filtered and open|filtered are what a dropping host looks like).
scan_dark() {
	local desc=$1 out; shift
	out=$(nmap_scan -oG - "$@")
	if ! grep -q '^# Nmap done.*(1 host up)' <<<"$out"; then
		nok "$desc: scan did not complete"; say "$out" | sed 's/^/    /'
	elif grep -E '[0-9]+/(open|closed|unfiltered)/' <<<"$out" >/dev/null; then
		nok "$desc: found ports"; grep Ports <<<"$out" | sed 's/^/    /'
	else
		ok "$desc"
	fi
}
