#!/bin/bash
# SPDX-License-Identifier: ISC
# 30-privsep: least privilege. The daemon's main process (the privileged side)
# keeps only CAP_NET_ADMIN; its one child (the engine: capture, parsing,
# verification, policy) runs as gateway.ini's unprivileged user with no
# capability in any set and no_new_privs, in every thread. Secret key files
# that group or world may access are refused with a message naming the file:
# the gateway's identity.key by spa-gatewayd, a credential file by spa-knock.
# A malformed request from the engine (sent here by root through a copy of
# the engine's socket, as a compromised engine would) stops the privileged
# side: it logs the failed check, applies nothing, exits non-zero, and the
# engine stops with it; the table stays, so the host stays dark.
# No secret (base64 or hex) ever appears in a log, the audit log, the state
# directory or any tool's output.
#
#   netns GW                                   netns AG
#   +---------------------------+    veth      +--------------------------+
#   | spa-gatewayd              | eth0 -- eth0 | spa-knock (alice, bob;   |
#   |   main: CAP_NET_ADMIN     |              |   eve of another gateway)|
#   |   `- engine: user, no cap |              | clients                  |
#   | service tcp/8080 (web)    |              | 10.200.0.2               |
#   | 10.200.0.1                |              +--------------------------+
#   +---------------------------+

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_begin 30-privsep

ns_setup
A=$WORK/gw
gw_tree "$A"
agent_add "$A" alice dev "$WORK/alice.cred"
agent_add "$A" bob dev "$WORK/bob.cred"
# eve: a valid agent, but of another gateway (unknown key id here).
gw_tree "$WORK/other"
agent_add "$WORK/other" eve dev "$WORK/eve.cred"
service_start 8080
daemon_start "$A"
MAIN=$DAEMON_PID
OUTS=$WORK/outputs		# every tool's output, searched for secrets at the end
mkdir -p "$OUTS"

# status_field PID FIELD: the value(s) of one line of /proc/PID/status.
status_field() {
	sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" 2>/dev/null
}

# caps_are PID VALUE FIELD...: each capability set FIELD of PID and of every
# one of its threads equals VALUE (hex); says which one differs.
caps_are() {
	local pid=$1 want=$2 f t v bad=; shift 2
	for t in /proc/"$pid"/task/*; do
		for f in "$@"; do
			v=$(sed -n "s/^$f:[[:space:]]*//p" "$t/status" 2>/dev/null)
			if [ -z "$v" ] || [ $((16#$v)) -ne $((16#$want)) ]; then
				bad="$bad ${t##*/}:$f=$v"
			fi
		done
	done
	[ -z "$bad" ] || { say "    differs:$bad (want $want)"; return 1; }
}

# all_threads PID FIELD REGEX: FIELD of every thread of PID matches REGEX.
all_threads() {
	local t v bad=
	for t in /proc/"$1"/task/*; do
		v=$(sed -n "s/^$2:[[:space:]]*//p" "$t/status" 2>/dev/null)
		[[ $v =~ $3 ]] || bad="$bad ${t##*/}:$2='$v'"
	done
	[ -z "$bad" ] || { say "    differs:$bad"; return 1; }
}

# --- the two processes ------------------------------------------------------

check "the main PID runs spa-gatewayd" \
    test "$(readlink "/proc/$MAIN/exe")" = "$(readlink -f "$GATEWAYD")"
kids=$(pgrep -P "$MAIN" | tr '\n' ' ')
kids=${kids% }
check "the main process has exactly one child (got: '$kids')" \
    test "$(wc -w <<<"$kids")" -eq 1
ENGINE=${kids%% *}
[ -n "$ENGINE" ] || die "no engine process"
# Kill it by PID if it should outlive its parent (it is ours).
E2E_PIDS+=("$ENGINE")
check "the child runs spa-gatewayd too" \
    test "$(readlink "/proc/$ENGINE/exe")" = "$(readlink -f "$GATEWAYD")"

say "# main $MAIN: $(status_field "$MAIN" Uid | tr '\t' ' ') caps" \
    "eff=$(status_field "$MAIN" CapEff) prm=$(status_field "$MAIN" CapPrm)" \
    "bnd=$(status_field "$MAIN" CapBnd) threads=$(status_field "$MAIN" Threads)"
say "# engine $ENGINE: uid $(status_field "$ENGINE" Uid | tr '\t' ' ')" \
    "gid $(status_field "$ENGINE" Gid | tr '\t' ' ')" \
    "groups '$(status_field "$ENGINE" Groups)'" \
    "eff=$(status_field "$ENGINE" CapEff) bnd=$(status_field "$ENGINE" CapBnd)" \
    "nnp=$(status_field "$ENGINE" NoNewPrivs) threads=$(status_field "$ENGINE" Threads)"

NET_ADMIN=0000000000001000	# 1 << CAP_NET_ADMIN (12)
check "main: CapEff and CapPrm hold exactly CAP_NET_ADMIN (all threads)" \
    caps_are "$MAIN" "$NET_ADMIN" CapEff CapPrm
check "main: CapBnd holds exactly CAP_NET_ADMIN (all threads)" \
    caps_are "$MAIN" "$NET_ADMIN" CapBnd
check "main: CapInh and CapAmb are empty (all threads)" \
    caps_are "$MAIN" 0 CapInh CapAmb

USER_NAME=$(sed -n 's/^[[:space:]]*user[[:space:]]*=[[:space:]]*//p' "$A/gateway.ini")
USER_UID=$(id -u "$USER_NAME" 2>/dev/null)
say "# gateway.ini user = $USER_NAME (uid $USER_UID)"
check "engine: real, effective, saved and fs uid are $USER_NAME's, not 0 (all threads)" \
    all_threads "$ENGINE" Uid "^${USER_UID:-x}[[:space:]]+${USER_UID:-x}[[:space:]]+${USER_UID:-x}[[:space:]]+${USER_UID:-x}\$"
check_not "engine: uid is not 0" test "$USER_UID" = 0
check "engine: no gid is 0 (all threads)" \
    all_threads "$ENGINE" Gid '^[1-9][0-9]*[[:space:]]+[1-9][0-9]*[[:space:]]+[1-9][0-9]*[[:space:]]+[1-9][0-9]*$'
check "engine: no supplementary group 0 (all threads)" \
    all_threads "$ENGINE" Groups '^([1-9][0-9]*( |$))*$'
check "engine: CapEff, CapPrm, CapInh, CapBnd, CapAmb all zero (all threads)" \
    caps_are "$ENGINE" 0 CapEff CapPrm CapInh CapBnd CapAmb
check "engine: NoNewPrivs is 1 (all threads)" all_threads "$ENGINE" NoNewPrivs '^1$'

# The split works: the unprivileged engine's decision reaches the firewall.
mark=$(audit_mark "$A")
check "alice knocks" knock "$WORK/alice.cred" --duration 3 --save "$WORK/alice.knock" web \
    >"$OUTS/knock1.out" 2>&1
expect_audit "$A" "$mark" accept ok "the knock is accepted"
check "the connect succeeds (opened through the privileged side)" \
    reachable "$GW_IP" 8080

# --- traffic and admin verbs that might log something ------------------------

mark=$(audit_mark "$A")
send_udp "$WORK/alice.knock" "$GW_IP" "$KNOCK_PORT"
expect_audit "$A" "$mark" refuse replay "a replay is refused"
FLIP_PY='
import sys
d = bytearray(open(sys.argv[1], "rb").read())
d[60] ^= 0x5a
open(sys.argv[2], "wb").write(bytes(d))
'
"$PY" -c "$FLIP_PY" "$WORK/alice.knock" "$WORK/flipped.knock"
mark=$(audit_mark "$A")
# A fresh knock from bob with a flipped body byte: bad_auth.
knock "$WORK/bob.cred" --gateway 127.0.0.1 --save "$WORK/bob.knock" web \
    >"$OUTS/knock-lo.out" 2>&1
"$PY" -c "$FLIP_PY" "$WORK/bob.knock" "$WORK/bob-flipped.knock"
send_udp "$WORK/bob-flipped.knock" "$GW_IP" "$KNOCK_PORT"
expect_audit "$A" "$mark" refuse bad_auth "a knock with a flipped body byte is refused"
mark=$(audit_mark "$A")
knock "$WORK/eve.cred" web >"$OUTS/knock-eve.out" 2>&1
expect_audit "$A" "$mark" refuse unknown_key "another gateway's agent is refused"
"$ADMIN" --config-dir "$A" agent revoke bob >"$OUTS/revoke.out" 2>&1
"$ADMIN" --config-dir "$A" reload >"$OUTS/reload.out" 2>&1
sleep 0.3
mark=$(audit_mark "$A")
knock "$WORK/bob.cred" web >"$OUTS/knock-bob.out" 2>&1
expect_audit "$A" "$mark" refuse revoked "a revoked agent is refused"
"$ADMIN" --config-dir "$A" agent list >"$OUTS/list.out" 2>&1
"$ADMIN" --config-dir "$A" metrics >"$OUTS/metrics.out" 2>&1
"$ADMIN" --config-dir "$A" openings >"$OUTS/openings.out" 2>&1
"$ADMIN" --config-dir "$A" check >"$OUTS/check.out" 2>&1

say "# SIGTERM"
daemon_kill TERM || nok "the daemon did not stop on SIGTERM"
check "the engine is gone too" wait_gone "$ENGINE" 5

# --- secret key files that others may read are refused -------------------------

# refused_start MODE: the daemon, with identity.key at MODE, exits non-zero
# (bounded) without becoming ready, naming the file.
refused_start() {
	local mode=$1 err=$OUTS/start-$1.err rc
	chmod "$mode" "$A/identity.key"
	timeout 10 ip netns exec "$GW" "$GATEWAYD" --config-dir "$A" --foreground \
	    >"$err" 2>&1
	rc=$?
	say "    exit $rc: $(head -n 3 "$err" | tr '\n' ' ')"
	[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && ! grep -q ready "$err" &&
	    grep -qF "$A/identity.key" "$err" &&
	    grep -qiE 'mode|permission|readable|accessible|group|world|0[0-7]{3}' "$err"
}
for m in 0644 0640 0604 0660; do
	check "identity.key at $m: spa-gatewayd refuses to start, naming the file" \
	    refused_start "$m"
done
chmod 0600 "$A/identity.key"
daemon_start "$A"
ok "identity.key at 0600: spa-gatewayd starts"

# refused_knock MODE: spa-knock with the credential file at MODE exits
# non-zero naming the file, and sends nothing (no audit line).
refused_knock() {
	local mode=$1 err=$OUTS/knock-$1.err rc m
	chmod "$mode" "$WORK/alice.cred"
	m=$(audit_mark "$A")
	knock "$WORK/alice.cred" web >"$err" 2>&1
	rc=$?
	say "    exit $rc: $(head -n 3 "$err" | tr '\n' ' ')"
	[ "$rc" -ne 0 ] && grep -qF "$WORK/alice.cred" "$err" &&
	    grep -qiE 'mode|permission|readable|accessible|group|world|0[0-7]{3}' "$err" &&
	    audit_quiet "$A" "$m" 0.5
}
for m in 0644 0640 0604; do
	check "credential file at $m: spa-knock refuses, naming the file, sends nothing" \
	    refused_knock "$m"
done
chmod 0600 "$WORK/alice.cred"
mark=$(audit_mark "$A")
check "credential file at 0600: spa-knock works" knock "$WORK/alice.cred" web \
    >"$OUTS/knock-600.out" 2>&1
expect_audit "$A" "$mark" accept ok "and the knock is accepted"
daemon_kill TERM || nok "the daemon did not stop on SIGTERM"

# --- a malformed request stops the privileged side -----------------------------

# daemon_start_rc DIR RCFILE: like daemon_start, through a shell that writes
# the daemon's exit status to RCFILE; MAIN is the daemon's PID.
daemon_start_rc() {
	local dir=$1 rc=$2 log n=200
	log=$dir/daemon.$(date +%s%N).log
	E2E_DAEMON_LOGS+=("$log")
	DAEMON_LOG=$log
	rm -f "$rc"
	# shellcheck disable=SC2016 # the inner shell expands its own arguments
	bg bash -c 'ip netns exec "$1" "$2" --config-dir "$3" --foreground \
	    2>"$4" >&2; echo $? >"$5"' daemon-rc "$GW" "$GATEWAYD" "$dir" "$log" "$rc"
	while [ "$n" -gt 0 ] && ! grep -q ready "$log" 2>/dev/null; do
		[ -e "$rc" ] && break
		sleep 0.05; n=$((n - 1))
	done
	grep -q ready "$log" || { tail -n 20 "$log"; die "spa-gatewayd not ready"; }
	MAIN=$(pgrep -P "$BG_PID")
	[ -n "$MAIN" ] || die "no daemon under its shell"
}

# As root, take a copy of each socket of the engine (pidfd_getfd, which
# needs CAP_SYS_PTRACE) and send on the one AF_UNIX SOCK_SEQPACKET socket,
# its end of the privsep pair, one PRIV_ADD request of two elements: the
# first a valid opening of argv[2] to tcp/8080 for 60 s, the second the same
# with port_lo 0. Layout: struct priv_req and struct fw_elem (privsep.h,
# nft.h) on this machine.
INJECT_PY='
import ctypes, os, socket, struct, sys
pid, src = int(sys.argv[1]), socket.inet_aton(sys.argv[2])
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def elem(lo, hi):
    return struct.pack("=B16sB16sBxHHI", 4, src + bytes(12), 0, bytes(16), 6,
                       lo, hi, 60000)
req = struct.pack("=II", 1, 2) + elem(8080, 8080) + elem(0, 8080)
assert len(req) == 8 + 2 * 44
pidfd = os.pidfd_open(pid)
sent = 0
for name in os.listdir("/proc/%d/fd" % pid):
    try:
        if not os.readlink("/proc/%d/fd/%s" % (pid, name)).startswith("socket:"):
            continue
    except OSError:
        continue
    fd = libc.syscall(438, pidfd, int(name), 0)    # pidfd_getfd
    if fd < 0:
        print("pidfd_getfd: %s" % os.strerror(ctypes.get_errno()))
        continue
    s = socket.socket(fileno=fd)
    if s.family == socket.AF_UNIX and s.type == socket.SOCK_SEQPACKET:
        sent += s.send(req) == len(req)
    s.close()
print("sent %d request(s)" % sent)
sys.exit(0 if sent == 1 else 1)
'

say "# a malformed request from the engine"
RC=$WORK/main.rc
daemon_start_rc "$A" "$RC"
ENGINE=$(pgrep -P "$MAIN")
[ -n "$ENGINE" ] || die "no engine process"
E2E_PIDS+=("$ENGINE")
check "before it, the service is unreachable from $AG_IP2" \
    unreachable "$GW_IP" 8080 "$AG_IP2"
check "root sends one malformed request on the engine's privsep socket" \
    "$PY" -c "$INJECT_PY" "$ENGINE" "$AG_IP2" >"$OUTS/inject.out" 2>&1
say "    $(cat "$OUTS/inject.out")"
check "the privileged side exits" wait_gone "$MAIN" 5
rc=$(cat "$RC" 2>/dev/null)
check "with a non-zero status (got '$rc')" test "${rc:-0}" -ne 0
check "the engine is gone too" wait_gone "$ENGINE" 5
say "    $(grep -m 1 malformed "$DAEMON_LOG")"
check "the log names the failed check (element 1: port_lo 0)" \
    grep -qF 'privsep: malformed request from the engine (96 bytes): element 1: port_lo 0; stopping' \
    "$DAEMON_LOG"
check "the engine says why it stops" \
    grep -qF 'the privileged process is gone: the engine stops' "$DAEMON_LOG"
table_dark() {
	local t
	t=$(gw nft list table inet spa_gateway 2>/dev/null) || return 1
	grep -q 'hook input.*policy drop' <<<"$t"
}
check "the table stays, input policy drop" table_dark
check "the valid element of the refused request was not applied" \
    unreachable "$GW_IP" 8080 "$AG_IP2"

# --- secrets never reach a log ---------------------------------------------------

# The secrets as they sit in the key files (base64 of the 32-byte seed) and
# in hex; a prefix of 40 base64 characters (30 bytes) also catches libsodium's
# 64-byte secret key (seed || public key) printed whole.
SECRETS_PY='
import base64, sys
for path in sys.argv[1:]:
    for line in open(path):
        k, _, v = line.partition("=")
        if k.strip() == "secret_key":
            v = v.strip()
            raw = base64.b64decode(v)
            print(v[:40])
            print(raw.hex())
            print(raw.hex().upper())
            print(raw[:16].hex())
'
mapfile -t SECRETS < <("$PY" -c "$SECRETS_PY" "$A/identity.key" \
    "$WORK/alice.cred" "$WORK/bob.cred" "$WORK/other/identity.key" "$WORK/eve.cred")
check "found the secrets of 5 key files (gateways, alice, bob, eve)" \
    test "${#SECRETS[@]}" -eq 20
LOGS=()
for f in "$A"/daemon.*.log "$A/audit.log" "$A"/state/* "$OUTS"/* "$WORK"/*.out \
    "$WORK/service.log"; do
	[ -f "$f" ] && LOGS+=("$f")
done
say "# searching ${#LOGS[@]} files: daemon stderr ($(cat "$A"/daemon.*.log | wc -l) lines)," \
    "audit log ($(wc -l <"$A/audit.log") lines), state, tool outputs"
check "the daemon logged something (the search is not vacuous)" \
    test "$(cat "$A"/daemon.*.log | wc -l)" -gt 3
leaks=
for s in "${SECRETS[@]}"; do
	hit=$(grep -lF -- "$s" "${LOGS[@]}" 2>/dev/null | tr '\n' ' ')
	[ -n "$hit" ] && leaks="$leaks [${s:0:8}... in $hit]"
done
check "no secret in any log, audit line, state file or tool output${leaks:+: $leaks}" \
    test -z "$leaks"
