# SPDX-License-Identifier: ISC
# shellcheck shell=bash
# Helpers of tests/bench/run.sh: namespaces, processes, figures. Source it.
#
# Each gateway under test gets its own pair of namespaces, made here:
#
#   netns bench-PID-NAMEg                    netns bench-PID-NAMEa
#   +---------------------------+            +-------------------------------+
#   | gateway daemon, its       |    veth    | bench_lat (knock + connect,   |
#   | firewall, bench_lat serve | eth0--eth0 |   one /32 source per sample), |
#   | on tcp/8080               |            | bench_send (AF_PACKET, made-  |
#   | NET.0.1/16                |            |   up sources in 10.0.0.0/8)   |
#   +---------------------------+            | NET.0.2/16 + NET.4.0.. /32    |
#                                            +-------------------------------+
#
# Nothing leaves these namespaces. Every process started here is recorded
# and killed by PID on exit; the namespaces and the scratch dir are removed.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/../.." && pwd)
BUILD=${SPA_BUILD:-$ROOT/build}
BB=$BUILD/bench
PY=/usr/bin/python3
KNOCK_PORT=62201
SERVICE_PORT=8080

BENCH_PIDS=()
BENCH_NS=()
WORK=
RES=

say() { printf '%s\n' "$*"; }
note() {
	local t=0
	[ -n "${START_NS:-}" ] && t=$(( ($(date +%s%N) - START_NS) / 1000000 ))
	printf '  .. [%3d.%ds] %s\n' $((t / 1000)) $(((t % 1000) / 100)) "$*" >&2
}
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

# put KEY VALUE: one figure for results.json (dots make the nesting).
put() { printf '%s %s\n' "$1" "$2" >>"$RES"; }

# put_kv PREFIX "a=1 b=2": every key=value token of a tool's output line.
put_kv() {
	local prefix=$1 tok
	for tok in $2; do
		case "$tok" in *=*) put "$prefix.${tok%%=*}" "${tok#*=}" ;; esac
	done
}

# kv NAME "a=1 b=2": the value of NAME in a key=value line.
kv() {
	local tok
	for tok in $2; do
		[ "${tok%%=*}" = "$1" ] && { printf '%s' "${tok#*=}"; return 0; }
	done
	return 1
}

# ip_add BASE N: the dotted address N places after dotted BASE.
ip_add() {
	local a b c d v
	IFS=. read -r a b c d <<<"$1"
	v=$(( (a << 24) + (b << 16) + (c << 8) + d + $2 ))
	printf '%d.%d.%d.%d' $(( (v >> 24) & 255 )) $(( (v >> 16) & 255 )) \
	    $(( (v >> 8) & 255 )) $(( v & 255 ))
}

# ms_between T0_NS T1_NS: milliseconds, one decimal.
ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1e6 }'; }

# --- lifetime ------------------------------------------------------------------

kill_tree() {
	local pid=$1 sig=${2:-TERM} k
	for k in $(pgrep -P "$pid" 2>/dev/null); do kill_tree "$k" "$sig"; done
	kill "-$sig" "$pid" 2>/dev/null
}

alive() {
	local st
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

# wait_ready PID FILE PATTERN LOG NAME: until FILE has a line matching
# PATTERN (60 s at most); dies, showing LOG, if PID ends first or time runs out.
wait_ready() {
	local n=1200
	while [ "$n" -gt 0 ] && ! grep -q "$3" "$2"; do
		alive "$1" || { cat "$4"; die "$5 exited"; }
		sleep 0.05; n=$((n - 1))
	done
	grep -q "$3" "$2" || { cat "$4"; die "$5 not ready"; }
}

wait_gone() {
	local pid=$1 n=$(($2 * 20))
	while [ "$n" -gt 0 ] && alive "$pid"; do sleep 0.05; n=$((n - 1)); done
	alive "$pid" && return 1
	wait "$pid" 2>/dev/null
	return 0
}

# bg CMD...: run in the background, remember the PID in BG_PID.
bg() {
	"$@" &
	BG_PID=$!
	BENCH_PIDS+=("$BG_PID")
}

# stop PID: TERM, then KILL after 5 s; forget it.
stop() {
	local pid=$1 keep=() p
	kill_tree "$pid" TERM
	wait_gone "$pid" 5 || { kill_tree "$pid" KILL; wait_gone "$pid" 2; }
	for p in "${BENCH_PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
	BENCH_PIDS=("${keep[@]}")
}

bench_end() {
	local rc=$? pid ns
	trap - EXIT INT TERM
	for pid in "${BENCH_PIDS[@]}"; do kill_tree "$pid" TERM; done
	for pid in "${BENCH_PIDS[@]}"; do wait_gone "$pid" 2 || kill_tree "$pid" KILL; done
	for ns in "${BENCH_NS[@]}"; do ip netns del "$ns" 2>/dev/null; done
	[ -n "$RES" ] && [ -s "$RES" ] && [ -d "${OUT:-}" ] && cp "$RES" "$OUT/results.txt"
	[ -n "$WORK" ] && [ -z "${BENCH_KEEP:-}" ] && rm -rf "$WORK"
	exit "$rc"
}

bench_begin() {
	trap bench_end EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	[ "$(id -u)" = 0 ] || die "must run as root (network namespaces, nftables)"
	local b
	for b in "$BUILD/spa-gatewayd" "$BUILD/spa-admin" "$BB/bench_gen" \
	    "$BB/bench_lat" "$BB/bench_send" "$BB/bench_verify" "$BB/bench_nft" \
	    "$BB/bench_notify" "$BB/bench_scale"; do
		[ -x "$b" ] || die "missing $b (run make bench-tools)"
	done
	for b in ip nft "$PY"; do command -v "$b" >/dev/null || die "missing $b"; done
	# tmpfs: 100,000 agent files are written with fsync each.
	WORK=$(mktemp -d "${BENCH_TMP:-/dev/shm}/spa-bench.XXXXXX") || die mktemp
	RES=$WORK/results.txt
	: >"$RES"
}

# --- namespaces ------------------------------------------------------------------

# ns_pair NAME NET: namespaces bench-PID-NAMEg / -NAMEa joined by a veth,
# gateway NET.0.1/16, agent NET.0.2/16. Sets GW AG GW_IP AG_IP GW_MAC AG_MAC.
ns_pair() {
	local name=$1 net=$2 n
	GW=bench-$$-${name}g
	AG=bench-$$-${name}a
	for n in "$GW" "$AG"; do
		ip netns add "$n" || die "ip netns add $n"
		BENCH_NS+=("$n")
		ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		    net.ipv6.conf.default.disable_ipv6=1 >/dev/null
		ip -n "$n" link set lo up
	done
	ip -n "$GW" link add eth0 type veth peer name eth0 netns "$AG" || die "veth"
	GW_IP=$net.0.1
	AG_IP=$net.0.2
	ip -n "$GW" addr add "$GW_IP/16" dev eth0
	ip -n "$AG" addr add "$AG_IP/16" dev eth0
	GW_MAC=$(ip netns exec "$GW" cat /sys/class/net/eth0/address)
	AG_MAC=$(ip netns exec "$AG" cat /sys/class/net/eth0/address)
	ip -n "$GW" neigh replace "$AG_IP" lladdr "$AG_MAC" dev eth0 nud permanent
	ip -n "$AG" neigh replace "$GW_IP" lladdr "$GW_MAC" dev eth0 nud permanent
	ip -n "$GW" link set eth0 up || die "link up"
	ip -n "$AG" link set eth0 up || die "link up"
}

# sources BASE N: N /32 addresses from BASE on the agent side, each with a
# permanent neighbour entry on the gateway (no ARP inside a measurement).
sources() {
	local base=$1 n=$2 i a
	: >"$WORK/src.batch"
	: >"$WORK/neigh.batch"
	for ((i = 0; i < n; i++)); do
		a=$(ip_add "$base" "$i")
		echo "addr add $a/32 dev eth0" >>"$WORK/src.batch"
		echo "neigh replace $a lladdr $AG_MAC dev eth0 nud permanent" >>"$WORK/neigh.batch"
	done
	ip -n "$AG" -batch "$WORK/src.batch" || die "source addresses"
	ip -n "$GW" -batch "$WORK/neigh.batch" || die "neighbour entries"
}

gw() { ip netns exec "$GW" "$@"; }
ag() { ip netns exec "$AG" "$@"; }

# service_start SECONDS [PORT]: accept-and-close on tcp/PORT (8080) in the
# gateway.
service_start() {
	local port=${2:-$SERVICE_PORT} log n=100
	log=$WORK/service.$GW.$port.log
	bg ip netns exec "$GW" "$BB/bench_lat" serve --port "$port" \
	    --seconds "$1" >"$log" 2>&1
	while [ "$n" -gt 0 ] && ! grep -q listening "$log"; do
		sleep 0.05; n=$((n - 1))
	done
	grep -q listening "$log" || die "service did not start"
}

# --- the spa-gateway daemon ---------------------------------------------------------

POLICY='[resource:web]
proto = tcp
port = 8080
[enclave:dev]
resources = web
max_duration = 30
'

# gw_tree DIR [POLICY]: spa-admin init and the bench policy ($POLICY).
gw_tree() {
	"$BUILD/spa-admin" init --config-dir "$1" --interface eth0 \
	    --port "$KNOCK_PORT" --address "$GW_IP" >"$WORK/init.out" 2>&1 ||
	    { cat "$WORK/init.out"; die "spa-admin init $1"; }
	printf '%s' "${2:-$POLICY}" >"$1/policy.ini"
}

# tree_readable DIR: after bench_gen wrote the agents as root. The engine
# drops to gateway.ini's user (else "nobody") and reads agents.d and the
# policy to reload: give them to that user's group, as spa-admin init does.
tree_readable() {
	local u g
	u=$(sed -n 's/^user *= *\([a-z0-9_.-]*\) *$/\1/p' "$1/gateway.ini")
	g=$(id -gn "${u:-nobody}" 2>/dev/null) || return 0
	chmod 711 "$WORK"
	chgrp -R "$g" "$1/agents.d" "$1/policy.ini" "$1/gateway.ini"
	chmod -R g+rX "$1/agents.d" "$1/policy.ini" "$1/gateway.ini"
}

# daemon_start DIR PREFIX [RELOADS]: spa-gatewayd in $GW, timed from launch
# to its READY=1 notification (bench_notify, which then SIGHUPs it RELOADS
# times, timing each until the log says "reloaded"). Sets DPID (the
# privileged parent), EPID (the engine), NOTIFY_OUT; puts PREFIX.start_ms and
# the memory figures.
daemon_start() {
	local dir=$1 prefix=$2 reloads=${3:-0} sock=$WORK/notify.$RANDOM t0 line n=1200
	NOTIFY_OUT=$WORK/notify.$RANDOM.out
	DLOG=$dir/daemon.log
	: >"$DLOG"
	bg "$BB/bench_notify" --socket "$sock" --reloads "$reloads" --log "$DLOG" \
	    --timeout 300 >"$NOTIFY_OUT" 2>&1
	NOTIFY_PID=$BG_PID
	while [ ! -S "$sock" ] && [ "$n" -gt 0 ]; do sleep 0.01; n=$((n - 1)); done
	t0=$(date +%s%N)
	bg env NOTIFY_SOCKET="$sock" ip netns exec "$GW" "$BUILD/spa-gatewayd" \
	    --config-dir "$dir" --foreground 2>>"$DLOG"
	DPID=$BG_PID
	wait_ready "$DPID" "$NOTIFY_OUT" '^ready_wall_ns' "$DLOG" spa-gatewayd
	line=$(grep '^ready_wall_ns' "$NOTIFY_OUT")
	[ "$(kv pid "$line")" = "$DPID" ] || note "notify pid $(kv pid "$line") != $DPID"
	put "$prefix.start_ms" "$(ms_between "$t0" "$(kv ready_wall_ns "$line")")"
	n=200
	while [ "$n" -gt 0 ] && ! grep -q 'ready: ' "$DLOG"; do
		alive "$DPID" || break
		sleep 0.05; n=$((n - 1))
	done
	grep -q 'ready: ' "$DLOG" || { tail -n 20 "$DLOG"; die "spa-gatewayd engine not ready"; }
	EPID=$(cat "/proc/$DPID/task/$DPID/children" 2>/dev/null | awk '{print $1}')
	[ -n "$EPID" ] || EPID=$DPID		# no privilege separation
	daemon_mem "$prefix"
}

# daemon_mem PREFIX: engine and privileged-side memory, KiB.
daemon_mem() {
	local r h
	put "$1.engine_threads" "$(ls "/proc/$EPID/task" 2>/dev/null | wc -l)"
	read -r r h <<<"$(rss "$EPID")"
	put "$1.engine_rss_kib" "$r"
	put "$1.engine_hwm_kib" "$h"
	put "$1.engine_pss_kib" "$(pss "$EPID")"
	mem_parts "$1.engine_parts" "$EPID"
	if [ "$EPID" != "$DPID" ]; then
		read -r r h <<<"$(rss "$DPID")"
		put "$1.parent_rss_kib" "$r"
		put "$1.parent_pss_kib" "$(pss "$DPID")"
	fi
}

# mem_parts PREFIX PID: where PID's resident memory is, KiB: the capture
# ring (a socket mapping), the heap, anonymous mappings (large allocations,
# thread arenas and stacks), files (code and libraries).
mem_parts() {
	awk -v p="$1" '/^[0-9a-f]+-[0-9a-f]+ / { n = $6; k = "file"
		if (n ~ /^socket:/) k = "ring"
		else if (n == "[heap]") k = "heap"
		else if (n == "" || n ~ /^\[(stack|anon)/) k = "anon"
		next }
	    /^Rss:/ { v[k] += $2 }
	    END { for (k in v) print p "." k "_kib", v[k] }' "/proc/$2/smaps" 2>/dev/null |
	    sort >>"$RES"
}

# pss PID: proportional set size (shared pages split between the two).
pss() { awk '/^Pss:/{print $2}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }

# metrics DIR: "reason count" lines from the daemon's counters, then
# "@ring_dropped N": packets its capture rings dropped (full), all interfaces.
metrics() {
	"$BUILD/spa-admin" --config-dir "$1" metrics 2>/dev/null | awk '
	    /^spa_knocks_total\{reason="[a-z_]*"\} [0-9]+$/ {
		split($1, f, "\""); print f[2], $2 }
	    /^spa_capture_dropped_total/ { drop += $2 }
	    /^spa_knock_open_seconds_sum / { os = $2 }
	    /^spa_knock_open_seconds_count / { oc = $2 }
	    END { print "@ring_dropped", drop + 0
		printf "@open_us %.0f\n@opened %d\n", os * 1e6, oc }'
}

# gauge DIR NAME: one gauge of the daemon's metrics (spa_openings...), or -1.
gauge() {
	"$BUILD/spa-admin" --config-dir "$1" metrics 2>/dev/null |
	    awk -v n="$2" '$1 == n {v = $2} END {print (v == "" ? -1 : v)}'
}

# metrics_delta PREFIX BEFORE AFTER: PREFIX.metrics.REASON and .total (the
# knocks decided), PREFIX.ring_dropped, and PREFIX.opened and .open_us (the
# knocks the daemon timed from arrival to commit, and their time in all).
metrics_delta() {
	awk -v p="$1" 'NR == FNR { b[$1] = $2; next }
	    /^@/ { print p "." substr($1, 2), $2 - b[$1]; next }
	    { d = $2 - b[$1]; t += d; if (d) print p ".metrics." $1, d }
	    END { print p ".metrics.total", t + 0 }' "$2" "$3" >>"$RES"
}

daemon_stop() {
	stop "$DPID"
	alive "$EPID" && stop "$EPID"
	alive "$NOTIFY_PID" && stop "$NOTIFY_PID"
	return 0
}

# cpu_ns PID: nanoseconds PID has run on a CPU so far (scheduler's own
# accounting, far finer than the clock ticks of /proc/PID/stat).
cpu_ns() { awk '{print $1}' "/proc/$1/schedstat" 2>/dev/null || echo 0; }
# wait_ns PID: nanoseconds PID was runnable but waited for a CPU (other work).
wait_ns() { awk '{print $2}' "/proc/$1/schedstat" 2>/dev/null || echo 0; }
CLK_TCK=$(getconf CLK_TCK)

# rss PID: "rss_kib hwm_kib".
rss() { awk '/^VmRSS/{r=$2} /^VmHWM/{h=$2} END{print r, h}' "/proc/$1/status"; }

# audit_size DIR: bytes of the audit log (an offset for audit_stats).
audit_size() { stat -c %s "$1/audit.log" 2>/dev/null || echo 0; }

# audit_quiet DIR [MAX]: wait until the audit log stops growing for 1.5 s.
audit_quiet() {
	local dir=$1 max=$(( ${2:-60} * 10 )) last=-1 same=0 s
	while [ "$max" -gt 0 ] && [ "$same" -lt 15 ]; do
		s=$(audit_size "$dir")
		if [ "$s" = "$last" ]; then same=$((same + 1)); else same=0; last=$s; fi
		sleep 0.1; max=$((max - 1))
	done
}

# audit_stats DIR OFFSET PREFIX: decisions after OFFSET, into the results.
audit_stats() {
	"$PY" "$BENCH_DIR/report.py" audit "$1/audit.log" "$2" "$3" >>"$RES" ||
	    die "audit analysis failed"
}
