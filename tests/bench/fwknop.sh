# SPDX-License-Identifier: ISC
# shellcheck shell=bash
# The fwknop side of the bench (sourced by run.sh after lib.sh): Debian's
# fwknopd with its defaults (iptables, PCAP_LOOP_SLEEP 100 ms), one access.conf
# stanza per agent (its own /32 source, its own AES and HMAC keys), SPA packets
# made with fwknop's own libfko by bench_fwknop. The same bench_lat and
# bench_send drive it as drive spa-gateway, in namespaces of its own.

FWK_BASE=10.212.4.0

# fwknop_count PATTERN: matching lines in fwknopd's log so far.
fwknop_count() { grep -c "$1" "$FWK_LOG" 2>/dev/null || true; }

# fwknop_ticks: fwknopd's CPU ticks, with the iptables children it waited for.
fwknop_ticks() { awk '{print $14 + $15 + $16 + $17}' "/proc/$FWK_PID/stat"; }

scenario_fwknop() {
	local d=$WORK/fwknop seed t0 n line nlat=$BENCH_FWK_LAT_KNOCKS
	local added0 seen0 added1 seen1 ticks0 ticks1
	if ! command -v fwknopd >/dev/null || [ ! -x "$BB/bench_fwknop" ]; then
		note "fwknop: fwknop-server or libfko3-dev missing (make bench-deps): skipped"
		put fwknop.skipped 1
		return 0
	fi
	note "fwknop: $((nlat + BENCH_FWK_AGENTS)) access stanzas"
	ns_pair fwk 10.212
	sources "$FWK_BASE" "$nlat"
	gw iptables -w -P INPUT DROP || die "iptables"
	gw iptables -w -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
	gw iptables -w -A INPUT -i lo -j ACCEPT
	service_start 1800
	mkdir -p "$d/run"
	seed=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
	# Debian's own configuration, with only the run directory moved here.
	{ cat /etc/fwknop/fwknopd.conf; echo "PCAP_INTF eth0;"; echo "FWKNOP_RUN_DIR $d/run;"; } \
	    >"$d/fwknopd.conf"
	"$BB/bench_fwknop" access --count "$((nlat + BENCH_FWK_AGENTS))" --seed "$seed" \
	    --src-base "$FWK_BASE" >"$d/access.conf" || die "bench_fwknop access"
	chmod 600 "$d/fwknopd.conf" "$d/access.conf"
	FWK_LOG=$d/fwknopd.log
	t0=$(date +%s%N)
	bg ip netns exec "$GW" fwknopd -c "$d/fwknopd.conf" -a "$d/access.conf" -f \
	    -i eth0 -p "$d/run/fwknopd.pid" -d "$d/run/digest.cache" >"$FWK_LOG" 2>&1
	FWK_PID=$BG_PID
	wait_ready "$FWK_PID" "$FWK_LOG" 'main event loop' "$FWK_LOG" fwknopd
	put fwknop.daemon.start_ms "$(ms_between "$t0" "$(date +%s%N)")"
	read -r n t0 <<<"$(rss "$FWK_PID")"
	put fwknop.daemon.rss_kib "$n"

	# 1: latency, the same client loop (bench_lat) as for spa-gateway.
	"$BB/bench_fwknop" packets --first 0 --count "$nlat" --seed "$seed" \
	    --src-base "$FWK_BASE" >"$d/lat.lines" || die "bench_fwknop packets"
	line=$(ag "$BB/bench_lat" lines --payloads "$d/lat.lines" --count "$nlat" \
	    --gw "$GW_IP" --gap-us 2000 --retry-us "$BENCH_RETRY_US" --timeout-ms 3000 \
	    --out "$OUT/latency-fwknop.txt") || die "bench_lat (fwknop)"
	put_kv fwknop.latency.run1 "$line"
	say "    fwknop.latency.run1: $line"

	# 2: valid-knock throughput: every other agent once, as fast as the sender
	# goes; fwknopd is given a bounded window to work through them.
	"$BB/bench_fwknop" packets --first "$nlat" --count "$BENCH_FWK_AGENTS" \
	    --seed "$seed" --src-base "$FWK_BASE" >"$d/thr.lines" || die "bench_fwknop packets"
	added0=$(fwknop_count 'Added access rule')
	seen0=$(fwknop_count 'SPA Packet from IP')
	ticks0=$(fwknop_ticks)
	line=$(ag "$BB/bench_send" lines --ifname eth0 --dst-mac "$GW_MAC" --dst "$GW_IP" \
	    --src-base "$FWK_BASE" --payloads "$d/thr.lines" --max-packets "$BENCH_FWK_AGENTS" \
	    --seconds 60) || die "bench_send (fwknop)"
	put_kv fwknop.throughput "$line"
	sleep "$BENCH_FWK_SECONDS"
	added1=$(fwknop_count 'Added access rule')
	seen1=$(fwknop_count 'SPA Packet from IP')
	ticks1=$(fwknop_ticks)
	put fwknop.throughput.window_s "$BENCH_FWK_SECONDS"
	put fwknop.throughput.ok "$((added1 - added0))"
	put fwknop.throughput.processed "$((seen1 - seen0))"
	put fwknop.throughput.ok_per_s "$(awk -v a=$((added1 - added0)) -v w="$BENCH_FWK_SECONDS" 'BEGIN{printf "%.1f", a / w}')"
	put fwknop.throughput.daemon_cpu_s "$(awk -v t=$((ticks1 - ticks0)) -v h="$CLK_TCK" 'BEGIN{print t/h}')"
	say "    fwknop.throughput: $line; accepted $((added1 - added0)) in ${BENCH_FWK_SECONDS}s"
	stop "$FWK_PID"
}
