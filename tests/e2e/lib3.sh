# SPDX-License-Identifier: ISC
# shellcheck shell=bash
# Helpers shared by the entitlement and lifecycle tests (1x-*.sh), on top of
# lib.sh (source lib.sh first). Nothing here sends traffic outside the
# namespaces the calling test made.

# ns_extra TAG: one more namespace of this test (spa-PID-TAG), removed by the
# lib.sh trap; prints nothing, sets NS_EXTRA to its name.
ns_extra() {
	NS_EXTRA=spa-$$-$1
	ip netns add "$NS_EXTRA" || die "ip netns add $NS_EXTRA"
	E2E_NS+=("$NS_EXTRA")
	ip netns exec "$NS_EXTRA" sysctl -qw net.ipv6.conf.default.accept_ra=0 \
	    net.ipv6.conf.default.router_solicitations=0 \
	    net.ipv6.conf.default.accept_dad=0 \
	    net.ipv6.conf.default.dad_transmits=0 >/dev/null
	ip -n "$NS_EXTRA" link set lo up
}

# admin DIR ARGS...: spa-admin on tree DIR; output (stdout and stderr) in
# ADMIN_OUT, returns its exit status.
admin() {
	local dir=$1 rc; shift
	ADMIN_OUT=$("$ADMIN" --config-dir "$dir" "$@" 2>&1)
	rc=$?
	return "$rc"
}

# agent_add_args DIR NAME CREDFILE ARGS...: spa-admin agent add with any
# options (labels, expiry, several enclaves).
agent_add_args() {
	local dir=$1 name=$2 cred=$3; shift 3
	admin "$dir" agent add "$name" "$@" --output "$cred" ||
	    { say "$ADMIN_OUT"; die "spa-admin agent add $name $*"; }
}

# rfc3339 EPOCH: the UTC RFC 3339 form of a time in seconds.
rfc3339() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }

# now_s: wall-clock seconds with nanoseconds, as "S.NNNNNNNNN".
now_s() { date +%s.%N; }

# in_set SET PATTERN: the daemon's set SET lists an element matching the
# extended regex PATTERN (nft's text form: "10.200.0.2 . tcp . 8080").
in_set() {
	gw nft list set inet spa_gateway "$1" 2>/dev/null | grep -Eq -- "$2"
}

# NFT_PY: the elements of a set as lines "KEY TIMEOUT", KEY being the
# concatenation joined with " . ", TIMEOUT in seconds as nft reports it.
NFT_PY='
import json, sys
doc = json.load(sys.stdin)
for o in doc.get("nftables", []):
    s = o.get("set")
    if not s:
        continue
    for e in s.get("elem", []):
        if isinstance(e, dict) and "elem" in e:
            e = e["elem"]
            val, tmo = e.get("val"), e.get("timeout", "none")
        else:
            val, tmo = e, "none"
        if isinstance(val, dict) and "concat" in val:
            key = " . ".join(map(str, val["concat"]))
        else:
            key = str(val)
        print(key, tmo)
'

# set_elems SET: print "KEY TIMEOUT" for each element (from nft -j).
set_elems() {
	gw nft -j list set inet spa_gateway "$1" 2>/dev/null | "$PY" -c "$NFT_PY"
}

# elem_timeout SET KEY: the element's timeout in seconds (nft -j), or nothing.
elem_timeout() {
	set_elems "$1" | awk -v k="$2" '{ t = $NF; $NF = ""; sub(/ $/, "");
	    if ($0 == k) print t }'
}

# openings_has DIR REGEX: `spa-admin openings` lists a line matching REGEX.
openings_has() {
	admin "$1" openings || return 2
	grep -Eq -- "$2" <<<"$ADMIN_OUT"
}

# reload_count: "reloaded" lines in the daemon's log so far.
reload_count() { grep -c 'reloaded' "$DAEMON_LOG" 2>/dev/null || true; }

# wait_reload_after N: wait (bounded, 3 s) for a reload line past N.
wait_reload_after() {
	local n=60
	while [ "$n" -gt 0 ]; do
		[ "$(reload_count)" -gt "$1" ] && return 0
		sleep 0.05; n=$((n - 1))
	done
	return 1
}

# ini_set FILE SECTION KEY VALUE: set KEY in [SECTION] of an INI file (the
# key's line replaced, a commented "# KEY =" line replaced, or the key added
# at the end of the section; the section added if missing).
INI_PY='
import re, sys
path, sec, key, val = sys.argv[1:5]
lines = open(path).read().split("\n")
out, cur, done, last = [], None, False, None
for i, l in enumerate(lines):
    m = re.match(r"\s*\[([^\]]+)\]", l)
    if m:
        cur = m.group(1).strip()
    if not done and cur == sec and re.match(r"\s*#?\s*" + re.escape(key) + r"\s*=", l):
        l = "%s = %s" % (key, val)
        done = True
    out.append(l)
    if cur == sec and l.strip() and not l.lstrip().startswith("#"):
        last = len(out)
if not done:
    if last is None:
        out += ["", "[%s]" % sec, "%s = %s" % (key, val)]
    else:
        out.insert(last, "%s = %s" % (key, val))
open(path + ".tmp", "w").write("\n".join(out))
' 
ini_set() {
	"$PY" -c "$INI_PY" "$@" && mv "$1.tmp" "$1"
}

# The client end of a connection held open by an agent: connects (from an
# optional source), reads the greeting, then sends "ping N" every 50 ms and
# waits up to 0.3 s for each echo. Prints "ok TIME" per echo (wall clock),
# and, when an echo does not come, "dead SENT_TIME ERROR" and exits 1; after
# SECONDS without a failure, "alive-end" and exits 0.
# argv: host port seconds [source]
HOLD3_PY='
import socket, sys, time
host, port, total = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
src = sys.argv[4] if len(sys.argv) > 4 else None
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
if src:
    s.bind((src, 0))
s.settimeout(2)
s.connect((host, port))
f = s.makefile("rb")
if not f.readline():
    print("dead %.3f no greeting" % time.time(), flush=True)
    sys.exit(1)
print("connected %.3f" % time.time(), flush=True)
end = time.monotonic() + total
n = 0
while time.monotonic() < end:
    n += 1
    sent = time.time()
    try:
        s.settimeout(0.3)
        s.sendall(b"ping %d\n" % n)
        line = f.readline()
        if line != b"echo ping %d\n" % n:
            raise OSError("got %r" % line)
    except (OSError, ValueError) as e:
        print("dead %.3f %s" % (sent, e), flush=True)
        sys.exit(1)
    print("ok %.3f" % time.time(), flush=True)
    time.sleep(0.05)
print("alive-end", flush=True)
'

# hold_start OUTFILE HOST PORT SECONDS [SOURCE]: a held connection from the
# agent namespace, in the background; HOLD_PID. Waits (bounded) until it is
# connected and has exchanged data; returns 1 if it did not.
hold_start() {
	local out=$1 n=60; shift
	bg ip netns exec "$AG" timeout $(( ${3%.*} + 10 )) "$PY" -c "$HOLD3_PY" \
	    "$@" >"$out" 2>&1
	HOLD_PID=$BG_PID
	while [ "$n" -gt 0 ]; do
		grep -q '^ok ' "$out" && return 0
		grep -q '^dead' "$out" && return 1
		alive "$HOLD_PID" || return 1
		sleep 0.05; n=$((n - 1))
	done
	return 1
}

# last_ok OUTFILE: the wall-clock time of the last echo ("" if none).
last_ok() { awk '$1 == "ok" { t = $2 } END { print t }' "$1"; }

# dead_at OUTFILE: when the first unanswered ping was sent ("" if none).
dead_at() { awk '$1 == "dead" { print $2; exit }' "$1"; }

# fle A B: A <= B for decimal numbers.
fle() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'; }

# fadd A B: A + B for decimal numbers.
fadd() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a + b }'; }

# knock_expect DIR DECISION REASONS DESC CRED [KNOCK-ARGS...]: one knock and
# its audit line (AUDIT_LINE), asserted.
knock_expect() {
	local dir=$1 decision=$2 reasons=$3 desc=$4 cred=$5 mark; shift 5
	mark=$(audit_mark "$dir")
	if ! knock "$cred" "$@" >"$WORK/knock.out" 2>&1; then
		nok "$desc: spa-knock $* failed: $(head -n 1 "$WORK/knock.out")"
		AUDIT_LINE=
		return 1
	fi
	expect_audit "$dir" "$mark" "$decision" "$reasons" "$desc"
}

# field_is DESC FIELD VALUE: the last AUDIT_LINE's FIELD equals VALUE.
field_is() {
	local got
	got=$(json_get "$AUDIT_LINE" "$2")
	if [ "$got" = "$3" ]; then ok "$1"
	else nok "$1: audit $2 is '$got', expected '$3' (line: $AUDIT_LINE)"; fi
}

# res_set_is DESC VALUE: the last AUDIT_LINE's resources, sorted and joined
# by ",", equal VALUE (sorted).
res_set_is() {
	local got
	got=$(json_get "$AUDIT_LINE" resources | tr , '\n' | sort | paste -sd, -)
	if [ "$got" = "$2" ]; then ok "$1"
	else nok "$1: audit resources are '$got', expected '$2' (line: $AUDIT_LINE)"; fi
}

# sleep_until EPOCH_S: sleep (bounded by the gap) until that wall-clock time.
sleep_until() {
	local d
	d=$(awk -v t="$1" -v n="$(now_s)" 'BEGIN { d = t - n; if (d < 0) d = 0;
	    printf "%.3f", d }')
	sleep "$d"
}
