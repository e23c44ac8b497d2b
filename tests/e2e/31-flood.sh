#!/bin/bash
# SPDX-License-Identifier: ISC
# 31-flood: flood resistance. A flooder namespace hits the knock port as fast
# as one core can send (tools/floodsend.c: AF_PACKET + sendmmsg, source
# addresses spread over 16384 spoofed addresses so per-source limits do not
# thin the flood; every run capped at SPA_FLOOD_SECONDS, default 5, and 20M
# packets) with (a) random bytes, (b) forged knocks carrying a valid key id
# with a fresh timestamp but a random body (bad_auth; the key id is that of
# the very agent that then knocks for real), (c) replays of a captured valid
# knock. During each flood a legitimate knock from a fresh agent in its own
# namespace still opens its resource: the connect succeeds within 3 s while
# the flood is still running. The gateway emits no frame towards the flooder
# and nothing but the service's TCP towards the agent; both daemon processes
# survive; the counters count the garbage by reason; the audit log stays
# bounded (at most 200 + 50/s refusal lines, one summary line a second with
# counts). (d) Packets sent while the engine is stopped overflow its capture
# ring; the drops are counted, and decided + dropped = sent. Rates, counters
# and knock-to-connect delays are printed.
#
#   netns AG (agents)            netns GW                      netns FL (flooder)
#   +-------------------+  veth  +------------------------+ veth +-------------------+
#   | spa-knock fa, fb, | eth0 --| eth0  br0 10.200.0.1   |--eth1 eth0 10.200.0.9  |
#   |  fc, rex; clients |        |  spa-gatewayd on br0   |      | floodsend, srcs   |
#   | 10.200.0.2        |        |  service tcp/8080      |      |  10.200.64.0/18   |
#   | tcpdump (GW MAC)  |        +------------------------+      | tcpdump (GW MAC)  |
#   +-------------------+                                       +-------------------+
#   br0: a bridge over eth0 and eth1 (no STP, no multicast snooping); all
#   neighbour entries permanent, so the gateway never needs to send ARP.

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_begin 31-flood

FLOOD_SECONDS=${SPA_FLOOD_SECONDS:-5}
FLOOD_MAX=20000000	# per phase, shared by the senders
N=$(nproc); [ "$N" -gt 4 ] && N=4
# Under ASan and UBSan (make check SANITIZE=1) the engine does several times
# the work per packet: floods from every core overflow its capture ring,
# and a knock lost there says nothing of memory safety, which is what that
# run checks. It gets one sender; capacity is the bench's to measure.
[ "${SPA_SANITIZE:-}" = 1 ] && N=1
SENDERS=${SPA_FLOOD_SENDERS:-$N}	# parallel floodsend processes, one a core
FL_IP=10.200.0.9
SPOOF_BASE=10.200.64.0
SPOOF_N=16384

cc -O2 -o "$WORK/floodsend" "$E2E_DIR/tools/floodsend.c" ||
    die "cannot build tools/floodsend.c"

# --- topology (our own: three namespaces around a bridge) ----------------------

GW=spa-$$-gw
AG=spa-$$-ag
FL=spa-$$-fl
for n in "$GW" "$AG" "$FL"; do
	ip netns add "$n" || die "ip netns add $n"
	E2E_NS+=("$n")
	ip netns exec "$n" sysctl -qw net.ipv6.conf.default.accept_ra=0 \
	    net.ipv6.conf.default.router_solicitations=0 \
	    net.ipv6.conf.default.accept_dad=0 \
	    net.ipv6.conf.default.dad_transmits=0 \
	    net.ipv6.conf.all.accept_ra=0 >/dev/null
	ip -n "$n" link set lo up
done
fl() { ip netns exec "$FL" "$@"; }
ip -n "$GW" link add br0 type bridge stp_state 0 mcast_snooping 0 || die "bridge"
ip -n "$GW" link add eth0 type veth peer name eth0 netns "$AG" || die "veth AG"
ip -n "$GW" link add eth1 type veth peer name eth0 netns "$FL" || die "veth FL"
ip -n "$GW" link set eth0 master br0
ip -n "$GW" link set eth1 master br0
GW_MAC=$(gw cat /sys/class/net/br0/address)
AG_MAC=$(ag cat /sys/class/net/eth0/address)
FL_MAC=$(fl cat /sys/class/net/eth0/address)
ip -n "$GW" link set br0 address "$GW_MAC"	# fixed: never follows a port
ip -n "$GW" addr add "$GW_IP/24" dev br0
ip -n "$AG" addr add "$AG_IP/24" dev eth0
ip -n "$FL" addr add "$FL_IP/24" dev eth0
ip -n "$GW" neigh replace "$AG_IP" lladdr "$AG_MAC" dev br0 nud permanent
ip -n "$GW" neigh replace "$FL_IP" lladdr "$FL_MAC" dev br0 nud permanent
ip -n "$AG" neigh replace "$GW_IP" lladdr "$GW_MAC" dev eth0 nud permanent
ip -n "$FL" neigh replace "$GW_IP" lladdr "$GW_MAC" dev eth0 nud permanent
for l in eth0 eth1 br0; do ip -n "$GW" link set "$l" up || die "link up $l"; done
ip -n "$AG" link set eth0 up || die "link up"
ip -n "$FL" link set eth0 up || die "link up"
LINK_UP_AT=$(date +%s%N)

A=$WORK/gw
gw_tree "$A"
sed -i 's/^interface *=.*/interface = br0/' "$A/gateway.ini"
for a in fa fb fc rex; do agent_add "$A" "$a" dev "$WORK/$a.cred"; done
service_start 8080
daemon_start "$A"
ENGINE=$(pgrep -P "$DAEMON_PID" | head -n 1)
[ -n "$ENGINE" ] || die "no engine process"
E2E_PIDS+=("$ENGINE")

both_alive() { alive "$DAEMON_PID" && alive "$ENGINE"; }

# audit_accepts MARK AGENT: an accept line for AGENT after line MARK.
audit_accepts() {
	sed -n "$(($1 + 1)),\$p" "$A/audit.log" |
	    grep -q "\"agent\":\"$2\".*\"decision\":\"accept\""
}

# metric REASON: the daemon's counter of knocks refused or accepted for it.
metrics() { "$ADMIN" --config-dir "$A" metrics 2>/dev/null; }
metric() {
	sed -n "s/^spa_knocks_total{reason=\"$2\"} //p" "$1"
}
# cpu_ticks PID: user + system time in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

# --- the evidence that nothing leaves the gateway -------------------------------

link_settled
bg fl timeout 120 tcpdump -i eth0 -Q in -nn -U -w "$WORK/fl.pcap" \
    "ether src $GW_MAC" 2>"$WORK/fl.tcpdump"
TD_FL=$BG_PID
bg ag timeout 120 tcpdump -i eth0 -Q in -nn -U -w "$WORK/ag.pcap" \
    "ether src $GW_MAC and not (tcp and src port 8080)" 2>"$WORK/ag.tcpdump"
TD_AG=$BG_PID
n=100
while [ "$n" -gt 0 ] && ! { grep -q listening "$WORK/fl.tcpdump" &&
    grep -q listening "$WORK/ag.tcpdump"; }; do sleep 0.05; n=$((n - 1)); done
grep -q listening "$WORK/fl.tcpdump" || die "tcpdump (flooder side) did not start"
grep -q listening "$WORK/ag.tcpdump" || die "tcpdump (agent side) did not start"

# --- baseline -------------------------------------------------------------------

# legit CRED WHAT: the knock_connect helper from the agent namespace; sets
# LEGIT_OUT and returns its status.
legit() {
	LEGIT_OUT=$(ag timeout 10 "$PY" "$E2E_DIR/tools/knock_connect.py" "$KNOCK" \
	    "$1" "$GW_IP" 8080 3 web 2>&1)
}

mark=$(audit_mark "$A")
if legit "$WORK/rex.cred"; then
	ok "baseline without flood: $LEGIT_OUT"
else
	nok "baseline knock from rex: $LEGIT_OUT"
fi
BASE_DELAY=$LEGIT_OUT
# rex's knock, captured, for the replay flood: knocked and accepted again.
knock "$WORK/rex.cred" --save "$WORK/rex.knock" web >/dev/null 2>&1
sleep 0.2
check "rex's saved knock was accepted" \
    sh -c "tail -n 3 '$A/audit.log' | grep -q '\"agent\":\"rex\".*\"decision\":\"accept\"'"
# fb's knock, never sent to the gateway (to the flooder's own loopback), as
# the template of the forgeries: a valid key id, the rest made up.
fl timeout 10 "$KNOCK" --credentials "$WORK/fb.cred" --gateway 127.0.0.1 \
    --save "$WORK/fb.knock" web >/dev/null 2>&1 || die "cannot make fb's template"

# --- the floods ---------------------------------------------------------------------

AUDIT0=$(audit_mark "$A")
T_FLOODS=$(date +%s%N)
SENT_TOTAL=0
RESULTS=()

# phase LABEL MODE CRED REASON [TEMPLATE]
phase() {
	local label=$1 mode=$2 cred=$3 reason=$4 tmpl=${5:-} flood f i m0 c0 c1
	local r before after counted=0 line
	say "# --- flood ($label): $mode, ${FLOOD_SECONDS} s, $SENDERS sender(s), spoofed sources"
	metrics >"$WORK/m0"
	c0=$(cpu_ticks "$ENGINE")
	floods=()
	for i in $(seq "$SENDERS"); do
		bg fl timeout $((FLOOD_SECONDS + 10)) "$WORK/floodsend" -i eth0 \
		    -s "$FL_MAC" -d "$GW_MAC" -S "$SPOOF_BASE" -r "$SPOOF_N" \
		    -D "$GW_IP" -p "$KNOCK_PORT" -m "$mode" ${tmpl:+-t "$tmpl"} \
		    -n $((FLOOD_MAX / SENDERS)) -T "$FLOOD_SECONDS" \
		    >"$WORK/flood-$mode.$i.out" 2>&1
		floods+=("$BG_PID")
	done
	flood=${floods[0]}
	sleep 1
	check "($label) the flood is running" alive "$flood"
	m0=$(audit_mark "$A")
	if legit "$cred"; then
		ok "($label) during the flood a fresh agent's knock opens: $LEGIT_OUT"
	else
		nok "($label) during the flood a fresh agent's knock opens: $LEGIT_OUT"
	fi
	RESULTS+=("($label) $mode flood: legit $LEGIT_OUT")
	check "($label) the flood was still running when the connect succeeded" \
	    alive "$flood"
	for f in "${floods[@]}"; do
		wait_gone "$f" $((FLOOD_SECONDS + 12)) || kill_tree "$f" KILL
	done
	for f in "$WORK/flood-$mode".*.out; do say "# ($label) floodsend: $(head -n 1 "$f")"; done
	r=$(cat "$WORK/flood-$mode".*.out | sed -n 's/^sent \([0-9]*\) packets.*/\1/p' |
	    awk '{ s += $1 } END { print s + 0 }')
	line="$SENDERS sender(s): $r packets in ${FLOOD_SECONDS} s, $((r / FLOOD_SECONDS)) pps"
	say "# ($label) total: $line"
	RESULTS[-1]="${RESULTS[-1]}; $line"
	check "($label) the flood was real: at least 10k packets a second (${r:-0} sent)" \
	    test "${r:-0}" -ge $((10000 * FLOOD_SECONDS))
	SENT_TOTAL=$((SENT_TOTAL + ${r:-0}))
	sleep 1			# let the daemon drain what it still holds
	c1=$(cpu_ticks "$ENGINE")
	metrics >"$WORK/m1"
	check "($label) both daemon processes are alive" both_alive
	check "($label) the fresh agent's accept is in the audit log" \
	    audit_accepts "$m0" "$(basename "$cred" .cred)"
	before=$(metric "$WORK/m0" "$reason")
	after=$(metric "$WORK/m1" "$reason")
	say "# ($label) counter deltas:$(for k in ok malformed unknown_key stale replay \
	    rate_limited bad_auth bad_signature; do
		printf ' %s=%s' "$k" $(( $(metric "$WORK/m1" "$k") - $(metric "$WORK/m0" "$k") ))
	done); engine CPU $(( (c1 - c0) * 1000 / $(getconf CLK_TCK) )) ms"
	counted=$(( ${after:-0} - ${before:-0} ))
	check "($label) the daemon counted the flood as $reason ($counted of ${r:-0} sent)" \
	    test "$counted" -gt 0
	RESULTS[-1]="${RESULTS[-1]}; counted $reason $counted"
}

phase a random "$WORK/fa.cred" malformed
phase b forge "$WORK/fb.cred" bad_auth "$WORK/fb.knock"
phase c replay "$WORK/fc.cred" replay "$WORK/rex.knock"

# --- (d) a full capture ring: what it drops is counted, not lost silently -------------

# decided FILE: the knocks decided, every reason together.
decided() { sed -n 's/^spa_knocks_total{reason="[a-z_]*"} //p' "$1" | awk '{ s += $1 } END { print s + 0 }'; }
dropped() { sed -n 's/^spa_capture_dropped_total{iface="br0"} //p' "$1"; }
D_SENT=40000
say "# --- (d) the engine stopped while $D_SENT packets arrive, more than its ring holds"
metrics >"$WORK/m0"
kill -STOP "$ENGINE"
fl timeout 20 "$WORK/floodsend" -i eth0 -s "$FL_MAC" -d "$GW_MAC" -S "$SPOOF_BASE" \
    -r "$SPOOF_N" -D "$GW_IP" -p "$KNOCK_PORT" -m random -n "$D_SENT" -T 10 \
    >"$WORK/flood-d.out" 2>&1
kill -CONT "$ENGINE"
say "# (d) floodsend: $(head -n 1 "$WORK/flood-d.out")"
sleep 1
metrics >"$WORK/m1"
d_sent=$(sed -n 's/^sent \([0-9]*\) packets.*/\1/p' "$WORK/flood-d.out")
d_dec=$(( $(decided "$WORK/m1") - $(decided "$WORK/m0") ))
d_drop=$(( $(dropped "$WORK/m1") - $(dropped "$WORK/m0") ))
say "# (d) sent ${d_sent:-0}, decided $d_dec, dropped by the full ring $d_drop"
check "(d) all $D_SENT packets were sent" test "${d_sent:-0}" -eq "$D_SENT"
check "(d) the ring's drops are counted ($d_drop)" test "$d_drop" -gt 0
check "(d) every packet was either decided or counted as dropped ($d_dec + $d_drop = ${d_sent:-0})" \
    test $((d_dec + d_drop)) -eq "${d_sent:-0}"
check "(d) both daemon processes are alive" both_alive
T_END=$(date +%s%N)
ELAPSED_MS=$(( (T_END - T_FLOODS) / 1000000 ))

# --- no frame from the gateway ------------------------------------------------------

sleep 0.5
kill_tree "$TD_FL" TERM; kill_tree "$TD_AG" TERM
wait_gone "$TD_FL" 5; wait_gone "$TD_AG" 5
nfl=$(tcpdump -r "$WORK/fl.pcap" -nn 2>/dev/null | wc -l)
nag=$(tcpdump -r "$WORK/ag.pcap" -nn 2>/dev/null | wc -l)
check "the gateway sent no frame towards the flooder ($nfl captured from its MAC)" \
    test "$nfl" -eq 0
[ "$nfl" -eq 0 ] || tcpdump -r "$WORK/fl.pcap" -nn 2>/dev/null | head -n 5 | sed 's/^/    /'
check "the gateway sent the agent nothing but the service's TCP ($nag other frames)" \
    test "$nag" -eq 0
[ "$nag" -eq 0 ] || tcpdump -r "$WORK/ag.pcap" -nn 2>/dev/null | head -n 5 | sed 's/^/    /'

# --- the audit log stays bounded ------------------------------------------------------

AUDIT_PY='
import json, sys
path, start, elapsed_ms, sent = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
lines = open(path).read().splitlines()[start:]
n = len(lines)
summ = refuse = accept = bad = 0
supp = 0
reasons = {}
for l in lines:
    try:
        j = json.loads(l)
    except ValueError:
        bad += 1
        continue
    d = j.get("decision")
    if d == "summary":
        summ += 1
        supp += int(j.get("suppressed", 0))
        for k, v in (j.get("reasons") or {}).items():
            reasons[k] = reasons.get(k, 0) + int(v)
    elif d == "refuse":
        refuse += 1
    elif d == "accept":
        accept += 1
secs = elapsed_ms / 1000.0
limit = 200 + 50 * secs + (secs + 2) + accept + 10
print("AUDIT_LINES=%d" % n)
print("AUDIT_REFUSE=%d" % refuse)
print("AUDIT_SUMMARY=%d" % summ)
print("AUDIT_SUPPRESSED=%d" % supp)
print("AUDIT_BAD=%d" % bad)
print("AUDIT_LIMIT=%d" % limit)
print("AUDIT_REASONS=\"%s\"" % " ".join("%s=%d" % kv for kv in sorted(reasons.items())))
'
AUDIT_LINES=0 AUDIT_REASONS=
eval "$("$PY" -c "$AUDIT_PY" "$A/audit.log" "$AUDIT0" "$ELAPSED_MS" "$SENT_TOTAL")"
say "# audit log during ${ELAPSED_MS} ms of floods ($SENT_TOTAL packets sent): $AUDIT_LINES new" \
    "lines ($AUDIT_REFUSE refusals, $AUDIT_SUMMARY summaries; suppressed $AUDIT_SUPPRESSED: $AUDIT_REASONS)"
check "every audit line is JSON" test "$AUDIT_BAD" -eq 0
check "the audit log grew by at most 200 + 50/s refusals + summaries ($AUDIT_LINES <= $AUDIT_LIMIT)" \
    test "$AUDIT_LINES" -le "$AUDIT_LIMIT"
check "the audit log grew by far less than the packets sent ($AUDIT_LINES * 1000 < $SENT_TOTAL)" \
    test $((AUDIT_LINES * 1000)) -lt "$SENT_TOTAL"
check "summary lines were written (one a second): $AUDIT_SUMMARY" \
    test "$AUDIT_SUMMARY" -ge $((ELAPSED_MS / 1000 / 2))
check "the summaries count suppressed refusals ($AUDIT_SUPPRESSED)" \
    test "$AUDIT_SUPPRESSED" -gt 0
for r in malformed bad_auth replay; do
	check "the summaries count $r" \
	    sh -c "echo '$AUDIT_REASONS' | grep -qE '(^| )$r=[1-9]'"
done

say "# --- results"
say "# baseline (no flood): $BASE_DELAY"
for r in "${RESULTS[@]}"; do say "# $r"; done
say "# daemon counters at the end:"
metrics >"$WORK/m.end"
grep -E '^spa_knocks_total|^spa_knock_open_seconds' "$WORK/m.end" | grep -v ' 0$' | sed 's/^/#   /'
# Every knock accepted from the wire has its capture timestamp: the
# knock-to-open histogram counts each one.
check "spa_knock_open_seconds counts every accepted knock" sh -c \
    'test -n "$1" && test "$1" -gt 0 && test "$2" = "$1"' _ \
    "$(metric "$WORK/m.end" ok)" "$(sed -n 's/^spa_knock_open_seconds_count //p' "$WORK/m.end")"
check "both daemon processes are alive at the end" both_alive
daemon_kill TERM || nok "the daemon did not stop on SIGTERM"
