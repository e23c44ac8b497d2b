#!/bin/bash
# SPDX-License-Identifier: ISC
# spa-gateway benchmarks (issue 5). Usage: tests/bench/run.sh [--check]
#
#   (default)  the full suite, a few minutes: prints a table, writes
#              build/bench/results.json and, with gnuplot, latency.png
#   --check    every scenario at tiny scale, well under 60 s: proves the
#              harness works and prints figures; asserts nothing on timing
#
# Scenarios: verify (the machine's Ed25519 ceiling), latency, throughput,
# flood (forged and random), scale, fwknop. BENCH_ONLY="latency flood"
# runs a subset; the sizes below can be overridden from the environment.
# Topology and cleanup: see lib.sh. Reading the output: README.md here.

set -u
# BENCH_NICE=-10: run everything at a higher priority, to approximate a
# dedicated gateway on a machine shared with other work (say so when quoting).
if [ -n "${BENCH_NICE:-}" ] && [ -z "${BENCH_NICED:-}" ]; then
	BENCH_NICED=1 exec nice -n "$BENCH_NICE" "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

MODE=full
[ "${1:-}" = --check ] && MODE=check
if [ "$MODE" = full ]; then
	: "${BENCH_RUNS:=3}" "${BENCH_LAT_KNOCKS:=200}" "${BENCH_AGENTS:=20000}"
	: "${BENCH_ROUNDS:=5}" "${BENCH_FLOOD_SECONDS:=5}" "${BENCH_FLOOD_KNOCKS:=100}"
	: "${BENCH_FLOOD_WIDE:=2}"
	: "${BENCH_SCALE_AGENTS:=100000}" "${BENCH_SCALE_RATE:=9000}"
	: "${BENCH_HOLD_MS:=20000}" "${BENCH_FWK_AGENTS:=10000}"
	: "${BENCH_FWK_LAT_KNOCKS:=200}" "${BENCH_FWK_SECONDS:=10}" "${BENCH_VERIFY_MS:=1000}"
	: "${BENCH_RECLAIM_S:=60}" "${BENCH_CEIL_MS:=500}"
else
	: "${BENCH_RUNS:=1}" "${BENCH_LAT_KNOCKS:=20}" "${BENCH_AGENTS:=300}"
	: "${BENCH_ROUNDS:=2}" "${BENCH_FLOOD_SECONDS:=1}" "${BENCH_FLOOD_KNOCKS:=10}"
	: "${BENCH_FLOOD_WIDE:=2}"
	: "${BENCH_SCALE_AGENTS:=200}" "${BENCH_SCALE_RATE:=2000}"
	: "${BENCH_HOLD_MS:=2000}" "${BENCH_FWK_AGENTS:=50}"
	: "${BENCH_FWK_LAT_KNOCKS:=5}" "${BENCH_FWK_SECONDS:=2}" "${BENCH_VERIFY_MS:=200}"
	: "${BENCH_RECLAIM_S:=3}" "${BENCH_CEIL_MS:=100}"
fi
: "${BENCH_ONLY:=verify latency offline throughput flood scale fwknop}"
: "${BENCH_SCALE_RES:=10}"		# resources each scale agent opens, 1..16
: "${BENCH_RETRY_US:=30}"		# life of one connect attempt
OUT=${BENCH_OUT:-$BUILD/bench}

want() { case " $BENCH_ONLY " in *" $1 "*) return 0 ;; esac; return 1; }

# Source addresses (all inside namespaces this script made):
LAT_BASE=10.211.4.0		# one /32 per latency sample, configured
THR_BASE=10.64.0.0		# valid knocks, made up by the raw sender
FORGED_BASE=10.128.0.0		# 2^21 sources each
RANDOM_BASE=10.160.0.0
SCALE_BASE=10.32.0.0		# one per scale agent's knock
# Agents: POOL that take turns for the steady-state samples, one fresh agent
# per first-knock sample, then the throughput agents. Sources: one per sample.
POOL=40
NLAT=$(( POOL + BENCH_RUNS * BENCH_LAT_KNOCKS ))
NSRC=$(( 2 * BENCH_RUNS * BENCH_LAT_KNOCKS + 5 * BENCH_FLOOD_KNOCKS ))

bench_begin
mkdir -p "$OUT"
START_NS=$(date +%s%N)
say "spa-gateway bench ($MODE): work dir $WORK"

# --- set-up: the gateway, its agents, the service ----------------------------------

setup_spa() {
	ns_pair spa 10.211
	sources "$LAT_BASE" "$NSRC"
	DIR=$WORK/gw
	gw_tree "$DIR"
	note "registering $((NLAT + BENCH_AGENTS)) agents"
	put gen.agents "$((NLAT + BENCH_AGENTS))"
	put_kv gen "$("$BB/bench_gen" --config-dir "$DIR" --count "$((NLAT + BENCH_AGENTS))" \
	    --sessions "$((NLAT + BENCH_AGENTS))" --creds "$WORK/creds.bin")"
	tree_readable "$DIR"
	service_start 3600
	daemon_start "$DIR" daemon.spa
	# Steady state from here: every agent's knock key derived.
	wait_keys "$DIR" "$((NLAT + BENCH_AGENTS))" daemon.spa.keys_ahead
}

# wait_keys DIR N PREFIX: until the daemon (just started) has derived N
# agents' knock keys in the background and logged it (at most 120 s); puts
# PREFIX.keys and PREFIX.s, its time from the first key handed out.
wait_keys() {
	local n line= k
	for ((n = 1200; n > 0; n--)); do
		line=$(grep -o 'first knocks: [0-9]* in [0-9.]* s' "$DLOG" | tail -n 1)
		k=$(gauge "$1" spa_knock_keys)
		[ "$k" = -1 ] && return 0	# a build without (SPA_BUILD)
		[ -n "$line" ] && [ "$k" -ge "$2" ] && break
		sleep 0.1
	done
	[ -n "$line" ] || note "no knock keys derived ahead after 120 s"
	put "$3.keys" "$(gauge "$1" spa_knock_keys)"
	put "$3.s" "$(awk '{print $(NF - 1)}' <<<"$line")"
}

# dticks: "engine parent engine-waited" nanoseconds of the running daemon:
# on a CPU, and runnable but waiting for one (the threads of the engine, such
# as its verifiers, are summed).
dticks() {
	local p=0 e=0 w=0 t a b cs=0 pcs=0
	[ "$EPID" != "$DPID" ] && p=$(cpu_ns "$DPID") &&
	    pcs=$(awk '/^voluntary_ctxt/{print $2}' "/proc/$DPID/status")
	for t in /proc/"$EPID"/task/*; do
		read -r a b _ <"$t/schedstat" 2>/dev/null || continue
		e=$((e + a)); w=$((w + b))
		cs=$((cs + $(awk '/^voluntary_ctxt/{print $2}' "$t/status" 2>/dev/null || echo 0)))
	done
	echo "$e $p $w $cs $pcs"
}

# thread_ns: "tid ns" per engine thread (the main loop is the lowest tid).
thread_ns() {
	local t
	for t in /proc/"$EPID"/task/*; do
		echo "${t##*/} $(awk '{print $1}' "$t/schedstat" 2>/dev/null || echo 0)"
	done | sort -n
}

# put_threads PREFIX BEFORE AFTER: CPU seconds of each engine thread.
put_threads() {
	awk -v p="$1" 'NR == FNR { b[$1] = $2; next }
	    { printf "%s.thread%d_cpu_s %.4f\n", p, i++, ($2 - b[$1]) / 1e9 }' \
	    "$2" "$3" >>"$RES"
}

# put_cpu PREFIX "E0 P0" "E1 P1": CPU seconds of the engine and the parent.
put_cpu() {
	local e0 p0 e1 p1 w0 w1 c0 c1 q0 q1
	read -r e0 p0 w0 c0 q0 <<<"$2"
	read -r e1 p1 w1 c1 q1 <<<"$3"
	put "$1.engine_sleeps" "$((c1 - c0))"
	put "$1.parent_sleeps" "$((q1 - q0))"
	put "$1.engine_runqueue_wait_s" "$(awk -v t=$((w1 - w0)) 'BEGIN{printf "%.4f", t/1e9}')"
	put "$1.engine_cpu_s" "$(awk -v t=$((e1 - e0)) 'BEGIN{printf "%.4f", t/1e9}')"
	put "$1.parent_cpu_s" "$(awk -v t=$((p1 - p0)) 'BEGIN{printf "%.4f", t/1e9}')"
	put "$1.daemon_cpu_s" "$(awk -v t=$((e1 - e0 + p1 - p0)) 'BEGIN{printf "%.4f", t/1e9}')"
}

# perf_start NAME / perf_stop: with BENCH_PERF=1, sample the daemon (both
# processes, every thread), with BENCH_PERF=all the whole machine (the
# sender and the kernel's receive path too), and keep the hottest commands,
# binaries and symbols in OUT/perf-NAME.txt.
PERF_PID=
perf_start() {
	local who
	case "${BENCH_PERF:-0}" in
	1) who=(-p "$EPID,$DPID") ;;
	all) who=(-a) ;;
	*) return 0 ;;
	esac
	command -v perf >/dev/null || return 0
	PERF_NAME=$1
	bg perf record -q -F 1999 -g "${who[@]}" -o "$WORK/perf.$1.data" >/dev/null 2>&1
	PERF_PID=$BG_PID
	sleep 0.3
}
perf_stop() {
	[ -n "$PERF_PID" ] || return 0
	kill -INT "$PERF_PID" 2>/dev/null
	wait_gone "$PERF_PID" 10 || stop "$PERF_PID"
	{
		echo "# share of the samples by command, by binary, then by symbol"
		perf report -q -i "$WORK/perf.$PERF_NAME.data" --no-children --sort comm \
		    --stdio -g none 2>/dev/null | head -8
		perf report -q -i "$WORK/perf.$PERF_NAME.data" --no-children --sort dso \
		    --stdio -g none 2>/dev/null | head -12
		perf report -q -i "$WORK/perf.$PERF_NAME.data" --no-children --sort comm,dso,symbol \
		    --stdio -g none 2>/dev/null | grep -v 'libsodium.*0x0' | head -40
	} >"$OUT/perf-$PERF_NAME.txt"
	put "perf.$PERF_NAME" "$OUT/perf-$PERF_NAME.txt"
	PERF_PID=
}

# --- 0: the machine's own ceiling ------------------------------------------------------

# scenario_verify LABEL: Ed25519 verifications per second on each core, alone.
scenario_verify() {
	local cpu line
	for cpu in $(seq 0 $(( $(nproc) - 1 ))); do
		line=$("$BB/bench_verify" --cpu "$cpu" --ms "$BENCH_VERIFY_MS") ||
		    die "bench_verify"
		put_kv "verify.$1.cpu$cpu" "$line"
	done
	put "verify.$1.loadavg" "$(cut -d' ' -f1 /proc/loadavg)"
}

# ceiling_now KEY: the two-core ceiling at this moment, every core verifying
# at once (bench_verify --all-cores), taken just before and just after each
# throughput run: on a shared machine what two cores do together moves from
# second to second, and is less than twice what one does alone.
ceiling_now() {
	local line
	line=$("$BB/bench_verify" --all-cores --ms "$BENCH_CEIL_MS") ||
	    die "bench_verify --all-cores"
	put "$1" "$(kv verify_all_per_s "$line")"
}

# --- 1: knock-to-open latency ---------------------------------------------------------

# lat_run PREFIX AGENT AGENTS SRC COUNT GAP_US OUTFILE [WARM]: COUNT knocks,
# sample k from its own configured source LAT_BASE+SRC+k, by agent AGENT+k
# (AGENTS 0: a fresh agent each) or by AGENTS agents taking turns from
# AGENT; WARM: they knock once first, from the agent's main address. The
# daemon's own timing of them (spa_knock_open_seconds) goes with the run.
lat_run() {
	local line extra=()
	metrics "$DIR" >"$WORK/lm0"
	[ "$3" -gt 0 ] && extra+=(--agents "$3")
	[ -n "${8:-}" ] && extra+=(--warm-src "$AG_IP")
	line=$(ag "$BB/bench_lat" spa --creds "$WORK/creds.bin" --first "$2" \
	    --count "$5" --gw "$GW_IP" --src-base "$(ip_add "$LAT_BASE" "$4")" \
	    --gap-us "$6" --retry-us "$BENCH_RETRY_US" --timeout-ms 1000 \
	    --out "$7" "${extra[@]}") || die "bench_lat failed"
	metrics "$DIR" >"$WORK/lm1"
	metrics_delta "$1" "$WORK/lm0" "$WORK/lm1"
	put_kv "$1" "$line"
	say "    $1: $line"
}

scenario_latency() {
	local r k=$BENCH_LAT_KNOCKS
	note "latency: $BENCH_RUNS x $k knocks by $POOL agents taking turns (steady state)"
	put latency.loadavg "$(cut -d' ' -f1 /proc/loadavg)"
	for ((r = 1; r <= BENCH_RUNS; r++)); do
		lat_run "latency.spa.run$r" 0 "$POOL" "$(( (r - 1) * k ))" "$k" 2000 \
		    "$WORK/lat.spa.$r.txt" warm
	done
	note "latency: $BENCH_RUNS x $k first knocks of fresh agents (knock key derived ahead)"
	for ((r = 1; r <= BENCH_RUNS; r++)); do
		lat_run "latency.spa_first.run$r" "$(( POOL + (r - 1) * k ))" 0 \
		    "$(( (BENCH_RUNS + r - 1) * k ))" "$k" 2000 "$WORK/lat.first.$r.txt"
	done
	cat "$WORK"/lat.spa.*.txt >"$OUT/latency-spa.txt"
	cat "$WORK"/lat.first.*.txt >"$OUT/latency-spa-first.txt"
	# The floor: run 1's sources are still open, so the first connect wins;
	# what is left is the knock's send and one SYN / SYN-ACK on the veth.
	note "latency: floor (sources already open)"
	lat_run latency.floor 0 "$POOL" 0 "$k" 2000 "$WORK/lat.floor.txt"
}

# --- 1b: the engine alone: offline mode, decide only (no capture, no firewall) --

scenario_offline() {
	local d=$WORK/offline r n=$BENCH_AGENTS f real user sys ok want base cold
	local TIMEFORMAT='%R %U %S'
	note "offline: spa-gatewayd --pcap-file, $n agents x 3 valid knocks, decide only"
	for ((r = 1; r <= BENCH_RUNS; r++)); do
		# one: start-up alone; cold: each agent's first knock (knock key
		# derived); all: then two more each (the steady state). Stamped
		# 20 s ahead, made afresh each run: the offline daemon's replay
		# floor is its start time.
		for f in one cold all; do
			"$BB/bench_send" valid --pcap-out "$WORK/$f.pcap" --dst-mac "$GW_MAC" \
			    --dst "$GW_IP" --src-base 10.96.0.0 --creds "$WORK/creds.bin" \
			    --first "$NLAT" --count "$([ $f = one ] && echo 1 || echo "$n")" \
			    --rounds "$([ $f = all ] && echo 3 || echo 1)" --ts-offset-ms 20000 \
			    >/dev/null || die "bench_send --pcap-out"
		done
		for f in one cold all; do
			rm -rf "$d"
			cp -a "$DIR" "$d"
			# gateway.ini names its paths in full: point them at the copy.
			sed -i "s|$DIR/|$d/|" "$d/gateway.ini"
			rm -rf "$d/state" "$d/audit.log" "$d"/daemon.log
			read -r real user sys < <({ time "$BUILD/spa-gatewayd" --config-dir "$d" \
			    --pcap-file "$WORK/$f.pcap" >/dev/null 2>&1; } 2>&1)
			ok=$(grep -c '"reason":"ok"' "$d/audit.log" 2>/dev/null)
			# Every knock in the file is valid: all are accepted.
			want=$(case $f in one) echo 1 ;; cold) echo "$n" ;; all) echo $(( 3 * n )) ;; esac)
			[ "$ok" = "$want" ] || die "offline ($f): $ok of $want valid knocks accepted"
			case $f in
			one) base=$real ;;
			cold) cold=$real
			    put "offline.run$r.cold_per_s" "$(awk -v o="$ok" -v a="$real" -v b="$base" 'BEGIN{printf "%.0f", o / (a - b)}')" ;;
			all) put "offline.run$r.ok" "$ok"
			    put "offline.run$r.cpu_s" "$(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.3f", u + s}')"
			    put "offline.run$r.ok_per_s" "$(awk -v o="$((ok - n))" -v a="$real" -v b="$cold" 'BEGIN{printf "%.0f", o / (a - b)}')"
			    say "    offline.run$r: $ok accepted; steady $(awk -v o="$((ok - n))" -v a="$real" -v b="$cold" 'BEGIN{printf "%.0f", o / (a - b)}')/s" ;;
			esac
		done
	done
	rm -rf "$d"
}

# --- 2: valid-knock throughput ----------------------------------------------------------

# send_valid PREFIX SRC_OFFSET ROUNDS RATE [CEIL]: N distinct agents x ROUNDS
# knocks; CEIL: with the two-core ceiling measured around the run.
send_valid() {
	local off ticks0 ticks1 line
	[ -n "${5:-}" ] && ceiling_now "$1.ceiling_before"
	off=$(audit_size "$DIR")
	metrics "$DIR" >"$WORK/m0"
	ticks0=$(dticks)
	thread_ns >"$WORK/t0"
	[ "$1" = "${BENCH_PERF_RUN:-throughput.spa.run1}" ] && perf_start throughput
	line=$(ag "$BB/bench_send" valid --ifname eth0 --dst-mac "$GW_MAC" \
	    --dst "$GW_IP" --src-base "$(ip_add "$THR_BASE" "$2")" \
	    --creds "$WORK/creds.bin" --first "$NLAT" --count "$BENCH_AGENTS" \
	    --rounds "$3" --rate "$4" --duration 1 --seconds 60 --max-packets 10000000) ||
	    die "bench_send valid"
	audit_quiet "$DIR" 120
	[ "$1" = "${BENCH_PERF_RUN:-throughput.spa.run1}" ] && perf_stop
	ticks1=$(dticks)
	thread_ns >"$WORK/t1"
	[ -n "${5:-}" ] && ceiling_now "$1.ceiling_after"
	put_threads "$1" "$WORK/t0" "$WORK/t1"
	metrics "$DIR" >"$WORK/m1"
	put_kv "$1" "$line"
	put_cpu "$1" "$ticks0" "$ticks1"
	metrics_delta "$1" "$WORK/m0" "$WORK/m1"
	audit_stats "$DIR" "$off" "$1"
	say "    $1: $line; $(grep "^$1\.\(ok\|ok_per_s\|lost\) " "$RES" | awk '{printf "%s=%s ", $1, $2}' | sed "s/$1\.//g")"
}

scenario_throughput() {
	local r n=$(( BENCH_AGENTS * BENCH_ROUNDS ))
	# Warm-up: every agent's first knock also derives its knock key (X25519,
	# once per agent per daemon life); paced so that none is lost.
	put throughput.loadavg "$(cut -d' ' -f1 /proc/loadavg)"
	note "throughput: warm-up, one knock per agent ($BENCH_AGENTS agents)"
	send_valid throughput.spa.warmup 0 1 4000
	for ((r = 1; r <= BENCH_RUNS; r++)); do
		note "throughput: run $r, $BENCH_AGENTS agents x $BENCH_ROUNDS knocks, max rate"
		send_valid "throughput.spa.run$r" "$(( BENCH_AGENTS + (r - 1) * n ))" \
		    "$BENCH_ROUNDS" 0 ceiling
	done
	scenario_sustained "$(( BENCH_AGENTS + BENCH_RUNS * n ))"
}

# Sustained throughput: the sender paced, stepping the rate up by 5% of the
# ceiling (twice one core's best sample so far) from 55% to 100%, until a
# step loses or refuses a knock; the last step in which every knock sent was
# accepted is the run's sustained rate (offered = accepted). At the top rate
# above, the sender is itself one more busy thread on the same two cores;
# paced, it takes a small share of one.
scenario_sustained() {
	local off=$1 n=$(( BENCH_AGENTS * BENCH_ROUNDS )) r pct rate p ceil steps sent ok
	ceil=$(awk '$1 ~ /\.verify_per_s$/ && $2 > m {m = $2} END {printf "%d", 2 * m}' "$RES")
	[ "${ceil:-0}" -gt 0 ] || ceil=50000
	steps=$([ "$MODE" = full ] && echo 10 || echo 2)
	for ((r = 1; r <= BENCH_RUNS; r++)); do
		for ((pct = 55; pct < 55 + 5 * steps; pct += 5)); do
			rate=$(( ceil * pct / 100 ))
			p=throughput.sustained.run$r.step$pct
			note "throughput: sustained run $r, $BENCH_AGENTS agents x $BENCH_ROUNDS knocks at $rate/s ($pct% of the ceiling)"
			send_valid "$p" "$off" "$BENCH_ROUNDS" "$rate" ceiling
			off=$(( off + n ))
			put "$p.offered_pct" "$pct"
			sent=$(awk -v k="$p.sent" '$1 == k {print $2}' "$RES")
			ok=$(awk -v k="$p.metrics.ok" '$1 == k {print $2}' "$RES")
			[ "${ok:-0}" = "$sent" ] || break
		done
	done
}

# --- 3: flood rejection ----------------------------------------------------------------------

# flood_send MODE BASE SENDERS: SENDERS bench_send processes at once, each
# from its own share of the 2^21 sources; one line with their sums (sent,
# pps, enobufs, cpu_s) and the longest of their seconds.
flood_send() {
	local i n=$3 pids=() share
	share=$(( 2097152 / n ))
	for ((i = 0; i < n; i++)); do
		ip netns exec "$AG" "$BB/bench_send" "$1" --ifname eth0 --dst-mac "$GW_MAC" \
		    --dst "$GW_IP" --src-base "$(ip_add "$2" $(( i * share )))" \
		    --sources "$share" --creds "$WORK/creds.bin" \
		    --count "$((NLAT + BENCH_AGENTS))" --seconds "$BENCH_FLOOD_SECONDS" \
		    --max-packets $(( 100000000 / n )) >"$WORK/flood.send.$i" &
		pids+=("$!")
		BENCH_PIDS+=("$!")
	done
	for i in "${pids[@]}"; do wait "$i" || return 1; done
	cat "$WORK"/flood.send.* | tr ' ' '\n' | awk -F= -v n="$n" '
	    $1 == "seconds" { if ($2 > s) s = $2; next }
	    $1 == "build_seconds" { if ($2 > b) b = $2; next }
	    NF == 2 { v[$1] += $2; if (!($1 in o)) { o[$1] = ++k; name[k] = $1 } }
	    END { printf "build_seconds=%s", b
		for (i = 1; i <= k; i++) {
			printf " %s=%s", name[i], v[name[i]]
			if (name[i] == "sent") printf " seconds=%s", s
		}
		printf " senders=%d\n", n }'
	rm -f "$WORK"/flood.send.*
}

# scenario_flood MODE BASE LATFIRST SENDERS [NAME]: the figures go under
# flood.NAME, by default MODE (one sender) or MODE_wide (more).
scenario_flood() {
	local mode=$1 p=flood.$1 off ticks0 ticks1 line lat_pid drops0 drops1
	[ "$4" -gt 1 ] && p=flood.$1_wide
	[ -n "${5:-}" ] && p=flood.$5
	note "flood: $mode for ${BENCH_FLOOD_SECONDS}s from $4 sender(s), $BENCH_FLOOD_KNOCKS legitimate knocks during it"
	off=$(audit_size "$DIR")
	metrics "$DIR" >"$WORK/m0"
	ticks0=$(dticks)
	drops0=$(gw cat /sys/class/net/eth0/statistics/rx_dropped)
	put "$p.loadavg" "$(cut -d' ' -f1 /proc/loadavg)"
	# The legitimate agents start once the flood runs, and end before it.
	( sleep 0.3; lat_run "$p.lat" 0 "$POOL" "$3" "$BENCH_FLOOD_KNOCKS" \
	    "$(( BENCH_FLOOD_SECONDS * 600000 / BENCH_FLOOD_KNOCKS ))" \
	    "$WORK/lat.flood.$mode.txt" ) >"$WORK/flood.$mode.lat" 2>&1 &
	lat_pid=$!
	BENCH_PIDS+=("$lat_pid")
	perf_start "flood-$mode"
	line=$(flood_send "$mode" "$2" "$4") || die "bench_send $mode"
	perf_stop
	wait_gone "$lat_pid" 30 || die "latency during the flood did not finish"
	cat "$WORK/flood.$mode.lat"
	audit_quiet "$DIR" 60
	ticks1=$(dticks)
	metrics "$DIR" >"$WORK/m1"
	drops1=$(gw cat /sys/class/net/eth0/statistics/rx_dropped)
	put_kv "$p" "$line"
	put_cpu "$p" "$ticks0" "$ticks1"
	metrics_delta "$p" "$WORK/m0" "$WORK/m1"
	put "$p.veth_rx_dropped" "$((drops1 - drops0))"
	audit_stats "$DIR" "$off" "$p"
	say "    $p: $line"
}

# --- 4: scale -------------------------------------------------------------------------------

slab_kib() { awk '/^Slab:/{print $2}' /proc/meminfo; }

# figure KEY: a figure already put, or nothing.
figure() { awk -v k="$1" '$1 == k {v = $2} END {print v}' "$RES"; }

# scale_policy: BENCH_SCALE_RES distinct resources on the gateway (tcp/9001,
# tcp/9002, ...), every one granted to enclave dev, the agents' enclave; a
# long max_duration, so that the knock's duration is the one that counts.
scale_policy() {
	local p names=
	for ((p = 9001; p <= 9000 + BENCH_SCALE_RES; p++)); do
		printf '[resource:p%d]\nproto = tcp\nport = %d\n' "$p" "$p"
		names+="${names:+, }p$p"
	done
	printf '[enclave:dev]\nresources = %s\nmax_duration = 86400\n' "$names"
}

# scale_load DIR: BENCH_SCALE_AGENTS agents (and their knock credentials):
# load, start and reload times, the memory after them.
scale_load() {
	local d=$1 r t0 line n
	gw_tree "$d" "$(scale_policy)"
	put_kv scale.gen "$("$BB/bench_gen" --config-dir "$d" --count "$BENCH_SCALE_AGENTS" \
	    --sessions "$BENCH_SCALE_AGENTS" --creds "$WORK/scale.creds" --prefix s)"
	tree_readable "$d"
	for ((r = 1; r <= 3; r++)); do
		t0=$(date +%s%N)
		"$BUILD/spa-gatewayd" --config-dir "$d" --check >/dev/null || die "check failed"
		put "scale.check.run$r.ms" "$(ms_between "$t0" "$(date +%s%N)")"
	done
	# Where the memory goes, in process: an estimate beside the real figure.
	line=$("$BB/bench_scale" --agents "$d/agents.d" --per-knock "$BENCH_SCALE_RES" \
	    --openings "$(( BENCH_SCALE_AGENTS * BENCH_SCALE_RES ))") || die "bench_scale"
	put_kv scale.inproc.agents "$(sed -n 1p <<<"$line")"
	put_kv scale.inproc.openings "$(sed -n 2p <<<"$line")"
	daemon_start "$d" scale.daemon 3
	n=1200
	while [ "$n" -gt 0 ] && ! grep -q '^reload=3' "$NOTIFY_OUT"; do
		alive "$NOTIFY_PID" || break
		sleep 0.1; n=$((n - 1))
	done
	grep '^reload=' "$NOTIFY_OUT" >"$WORK/reloads" || { cat "$NOTIFY_OUT" "$DLOG"; die "no reload figures"; }
	while read -r line; do
		put_kv "scale.reload.run$(kv reload "$line")" "$line"
	done <"$WORK/reloads"
	# The same reload through the control socket: spa-admin waits for it.
	for ((r = 1; r <= 3; r++)); do
		t0=$(date +%s%N)
		"$BUILD/spa-admin" --config-dir "$d" reload >/dev/null 2>&1 || note "spa-admin reload failed"
		put "scale.admin_reload.run$r.ms" "$(ms_between "$t0" "$(date +%s%N)")"
	done
	# (The reloads above keep the knock keys derived meanwhile.)
	wait_keys "$d" "$BENCH_SCALE_AGENTS" scale.keys_ahead
	daemon_mem scale.reloaded
	# The per-knock firewall cost: one element per netlink batch, as a lone
	# knock; gone (3 s) before the knocks below start.
	put_kv scale.nft_single "$(gw "$BB/bench_nft" --table spa_gateway --count 2000 \
	    --batch 1 --timeout-ms 3000 --src-base 10.48.0.0)"
	sleep 3.5
}

# scale_knocks DIR: one knock per agent, each from a source of its own and
# naming all BENCH_SCALE_RES resources, paced at BENCH_SCALE_RATE. Their
# durations are staggered (bench_send --same-expiry) so that every opening
# ends in the same second, HOLD_S after the last knock. Sets SCALE_T0
# (knocks sent from), SCALE_DUR, SCALE_LAST (the last knock's source).
scale_knocks() {
	local d=$1 n=$BENCH_SCALE_AGENTS want line t1 last cur prev=-1 k res span bound
	res=$(seq -s, -f 'p%.0f' 9001 $(( 9000 + BENCH_SCALE_RES )))
	span=$(( (n + BENCH_SCALE_RATE - 1) / BENCH_SCALE_RATE ))
	SCALE_DUR=$(( span + HOLD_S ))
	bound=$(( span + 60 > 600 ? 600 : span + 60 ))
	want=$(( n * BENCH_SCALE_RES ))
	put scale.knocks.agents "$n"
	put scale.knocks.resources_per_knock "$BENCH_SCALE_RES"
	put scale.knocks.rate "$BENCH_SCALE_RATE"
	put scale.knocks.duration_s "$SCALE_DUR"
	put scale.knocks.hold_s "$HOLD_S"
	SCALE_LAST=$(ip_add "$SCALE_BASE" "$(( n - 1 ))")
	ip -n "$AG" addr add "$SCALE_LAST/32" dev eth0
	ip -n "$GW" neigh replace "$SCALE_LAST" lladdr "$AG_MAC" dev eth0 nud permanent
	ip -n "$GW" route add "$SCALE_LAST/32" dev eth0
	note "scale: $n knocks at $BENCH_SCALE_RATE/s, $BENCH_SCALE_RES resources each, all open ${HOLD_S}s after the last"
	SCALE_S0=$(slab_kib)
	SCALE_TICKS0=$(dticks)
	SCALE_OFF=$(audit_size "$d")
	metrics "$d" >"$WORK/m0"
	SCALE_T0=$(date +%s%N)
	line=$(ag "$BB/bench_send" valid --ifname eth0 --dst-mac "$GW_MAC" --dst "$GW_IP" \
	    --src-base "$SCALE_BASE" --creds "$WORK/scale.creds" --first 0 --count "$n" \
	    --res "$res" --duration "$SCALE_DUR" --same-expiry --rate "$BENCH_SCALE_RATE" \
	    --seconds "$bound" --max-packets "$n") || die "bench_send valid (scale)"
	t1=$(date +%s%N)
	put_kv scale.knocks "$line"
	# Until the daemon's index holds every opening, or stops growing for 2 s.
	last=$t1
	for ((k = 0; k < 1200; k++)); do
		cur=$(gauge "$d" spa_openings)
		[ "$cur" != "$prev" ] && { prev=$cur; last=$(date +%s%N); }
		[ "$cur" -ge "$want" ] && break
		[ $(( $(date +%s%N) - last )) -gt 2000000000 ] && break
		sleep 0.1
	done
	put scale.knocks.settle_ms "$(ms_between "$t1" "$last")"
	put scale.knocks.ms "$(ms_between "$SCALE_T0" "$last")"
	put scale.held.openings "$prev"
	put scale.knocks.kernel_slab_kib "$(( $(slab_kib) - SCALE_S0 ))"
	metrics "$d" >"$WORK/m1"
	metrics_delta scale.knocks "$WORK/m0" "$WORK/m1"
	put_cpu scale.knocks "$SCALE_TICKS0" "$(dticks)"
	audit_stats "$d" "$SCALE_OFF" scale.knocks
	say "    scale.knocks: $line; openings=$prev of $want"
}

# scale_expire DIR: the openings held, then past their end: a connect from
# the last knock's source, the daemon's memory, the kernel's.
scale_expire() {
	local d=$1 port=$(( 9000 + BENCH_SCALE_RES )) exp deadline ticks1 n s1 s2
	# The effect, not a listing (the nft CLI dumps a whole set to look up
	# one element: seconds at this size): a connect from the last knock's
	# source to its last resource gets through while held...
	put_kv scale.probe_live "$(ag "$BB/bench_lat" probe --gw "$GW_IP" --port "$port" \
	    --src-base "$SCALE_LAST" --timeout-ms 300)"
	daemon_mem scale.held
	s1=$(slab_kib)
	ticks1=$(dticks)
	# ...and not once they have all ended (the daemon's audit says when,
	# the kernel's timer starts a little later, at the netlink add), even
	# before the kernel's garbage collection has removed them.
	exp=$(figure scale.knocks.expires_last_ms)
	[ -n "$exp" ] || exp=$(( SCALE_T0 / 1000000 + SCALE_DUR * 1000 ))
	deadline=$(( (exp + 500) * 1000000 ))
	note "scale: held until $(date -d "@$(( exp / 1000 ))" +%T)"
	for ((n = (SCALE_DUR + 60) * 20; n > 0; n--)); do
		[ "$(date +%s%N)" -ge "$deadline" ] && break
		sleep 0.05
	done
	put scale.probe_expired.ms_after_end "$(ms_between "$(( exp * 1000000 ))" "$(date +%s%N)")"
	put_kv scale.probe_expired "$(ag "$BB/bench_lat" probe --gw "$GW_IP" --port "$port" \
	    --src-base "$SCALE_LAST" --timeout-ms 300)"
	# And the kernel's garbage collection gives its memory back.
	for ((n = BENCH_RECLAIM_S * 10; n > 0; n--)); do
		s2=$(slab_kib)
		[ $(( (s2 - SCALE_S0) * 10 )) -le $(( s1 - SCALE_S0 )) ] && break
		sleep 0.1
	done
	put scale.reclaimed_after_end_ms "$(ms_between "$(( exp * 1000000 ))" "$(date +%s%N)")"
	put_cpu scale.held "$ticks1" "$(dticks)"
	# The daemon keeps ended openings in its index for OPENINGS_KEEP_MS
	# (300 s: revocation may still need them): measured as it is now.
	daemon_mem scale.expired
	put scale.expired.openings "$(gauge "$d" spa_openings)"
}

scenario_scale() {
	local d=$WORK/scale
	if [ "$BENCH_SCALE_RES" -lt 1 ] || [ "$BENCH_SCALE_RES" -gt 16 ]; then
		die "BENCH_SCALE_RES: 1 to 16 (resources in one knock)"
	fi
	HOLD_S=$(( (BENCH_HOLD_MS + 500) / 1000 ))
	[ "$HOLD_S" -ge 1 ] || HOLD_S=1
	note "scale: $BENCH_SCALE_AGENTS agents, $(( BENCH_SCALE_AGENTS * BENCH_SCALE_RES )) openings through knocks"
	service_start 900 "$(( 9000 + BENCH_SCALE_RES ))"
	scale_load "$d"
	scale_knocks "$d"
	scale_expire "$d"
	daemon_stop
}

# --- machine, versions, report ---------------------------------------------------------------

describe() {
	put machine.nproc "$(nproc)"
	put machine.cpu "\"$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)\""
	put machine.kernel "$(uname -r)"
	put machine.os "\"$(. /etc/os-release && echo "$PRETTY_NAME")\""
	put machine.mem_kib "$(awk '/^MemTotal/{print $2}' /proc/meminfo)"
	put versions.spa_gateway "$("$BUILD/spa-gatewayd" --version | awk '{print $2}')"
	put versions.git "$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo none)"
	put versions.gatewayd_sha256 "$(sha256sum "$BUILD/spa-gatewayd" | cut -c1-16)"
	put params.nice "${BENCH_NICE:-0}"
	put versions.libsodium "$(pkg-config --modversion libsodium)"
	put versions.libpcap "$(pkg-config --modversion libpcap)"
	put versions.libnftnl "$(pkg-config --modversion libnftnl)"
	put versions.fwknop "$(dpkg-query -W -f='${Version}' fwknop-server 2>/dev/null || echo none)"
	put mode "$MODE"
	put date "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	put params.runs "$BENCH_RUNS"
	put params.latency_knocks "$BENCH_LAT_KNOCKS"
	put params.agents "$BENCH_AGENTS"
	put params.rounds "$BENCH_ROUNDS"
	put params.flood_seconds "$BENCH_FLOOD_SECONDS"
	put params.flood_wide_senders "$BENCH_FLOOD_WIDE"
	put params.retry_us "$BENCH_RETRY_US"
	put params.pool_agents "$POOL"
	put machine.loadavg_start "$(cut -d' ' -f1 /proc/loadavg)"
}

plot() {
	command -v gnuplot >/dev/null || return 0
	[ -s "$OUT/latency-spa.txt" ] || return 0
	local f
	for f in spa fwknop; do
		[ -s "$OUT/latency-$f.txt" ] || continue
		awk '$1 >= 0 {print $1 / 1000}' "$OUT/latency-$f.txt" | sort -g |
		    awk '{v[NR] = $1} END {for (i = 1; i <= NR; i++) print v[i], i / NR}' \
		    >"$WORK/cdf.$f"
	done
	{
		echo "set terminal png size 900,540"
		echo "set output '$OUT/latency.png'"
		echo "set title 'Knock-to-open latency seen by the agent (CDF)'"
		echo "set xlabel 'ms from knock sent to TCP connect (log)'"
		echo "set ylabel 'fraction of knocks'"
		echo "set logscale x"
		echo "set grid"
		echo "set key bottom right"
		printf "plot '%s' using 1:2 with lines lw 2 title 'spa-gateway'" "$WORK/cdf.spa"
		[ -s "$WORK/cdf.fwknop" ] &&
		    printf ", '%s' using 1:2 with lines lw 2 title 'fwknop (defaults)'" "$WORK/cdf.fwknop"
		echo
	} >"$WORK/plot.gp"
	gnuplot "$WORK/plot.gp" 2>/dev/null && put plot "$OUT/latency.png"
}

# --- main ---------------------------------------------------------------------------------------

describe
want verify && scenario_verify before
if want latency || want offline || want throughput || want flood; then
	setup_spa
	want latency && scenario_latency
	want offline && scenario_offline
	want throughput && scenario_throughput
	want verify && scenario_verify after
	if want flood; then
		# The throughput's openings (1 s each, up to about 2,000,000) end
		# and the kernel collects them before, not during, the floods.
		want throughput && { note "flood: 5 s for the throughput's openings to go"; sleep 5; }
		# One sender leaves the daemon a core of its own; more reach a
		# higher rate, but on this machine they also take the daemon's.
		fk=$(( 2 * BENCH_RUNS * BENCH_LAT_KNOCKS ))
		scenario_flood forged "$FORGED_BASE" "$fk" 1
		scenario_flood random "$RANDOM_BASE" "$(( fk + BENCH_FLOOD_KNOCKS ))" 1
		if [ "$BENCH_FLOOD_WIDE" -gt 1 ]; then
			scenario_flood forged "$FORGED_BASE" "$(( fk + 2 * BENCH_FLOOD_KNOCKS ))" \
			    "$BENCH_FLOOD_WIDE"
			scenario_flood random "$RANDOM_BASE" "$(( fk + 3 * BENCH_FLOOD_KNOCKS ))" \
			    "$BENCH_FLOOD_WIDE"
		fi
	fi
	daemon_mem daemon.spa.final
	if want flood; then
		# Restarted, the daemon has no knock key cached: the same forged
		# flood then also costs it a key derivation per key id (20,240).
		note "flood: the daemon restarted, its knock keys not derived yet"
		daemon_stop
		daemon_start "$DIR" daemon.spa.cold
		scenario_flood forged "$FORGED_BASE" "$(( fk + 4 * BENCH_FLOOD_KNOCKS ))" 1 forged_cold
	fi
	daemon_stop
fi
want scale && { [ -n "${GW:-}" ] || ns_pair spa 10.211; scenario_scale; }
if want fwknop; then
	. "$BENCH_DIR/fwknop.sh"
	scenario_fwknop
fi
want verify && scenario_verify end
put machine.loadavg_end "$(cut -d' ' -f1 /proc/loadavg)"
put seconds "$(ms_between "$START_NS" "$(date +%s%N)" | awk '{printf "%.0f", $1 / 1000}')"
plot
"$PY" "$BENCH_DIR/report.py" final "$RES" "$OUT/results.json" || die "report failed"
