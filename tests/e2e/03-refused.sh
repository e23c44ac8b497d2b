#!/bin/bash
# SPDX-License-Identifier: ISC
# 03: knocks that must be refused, each with the right audit reason, and the
# service still unreachable afterwards: an agent not entitled to a resource;
# single-bit flips across every field of a knock; a key this gateway does not
# know; a stale knock (client clock moved by faketime); a captured knock
# replayed from the same and from another source address; a knock made for
# another gateway; a revoked agent.
#
#   netns GW                                   netns AG
#   +---------------------------+    veth      +---------------------------+
#   | spa-gatewayd (tree A)     | eth0 -- eth0 | spa-knock, python senders |
#   | service tcp/8080 (web)    |              | 10.200.0.2 (the agents)   |
#   |         tcp/9090 (db)     |              | 10.200.0.3 (replay source)|
#   | 10.200.0.1                |              +---------------------------+
#   +---------------------------+
#   tree A: alice, dave (dev: web), bob (ops: db); carol's file copied from B
#   tree B: another gateway (its own identity), agent carol   - no daemon
#   tree C: another gateway, agent mallory, unknown to A       - no daemon

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_begin 03-refused
command -v faketime >/dev/null || die "missing tool: faketime"

ns_setup
A=$WORK/gw-a
B=$WORK/gw-b
C=$WORK/gw-c
gw_tree "$A"
gw_tree "$B"
gw_tree "$C"
agent_add "$A" alice dev "$WORK/alice.cred"
agent_add "$A" bob ops "$WORK/bob.cred"
agent_add "$A" dave dev "$WORK/dave.cred"
agent_add "$B" carol dev "$WORK/carol.cred"
agent_add "$C" mallory dev "$WORK/mallory.cred"
service_start 8080 9090
daemon_start "$A"

both_unreachable() {
	unreachable "$GW_IP" 8080 && unreachable "$GW_IP" 9090
}

# refused DESC REASONS KNOCK-CMD...: run the knock, expect a refusal with one
# of REASONS, then both services unreachable.
refused() {
	local desc=$1 reasons=$2 mark; shift 2
	mark=$(audit_mark "$A")
	"$@" || { nok "$desc: the knock was not sent"; return; }
	expect_audit "$A" "$mark" refuse "$reasons" "$desc: refused"
	check "$desc: web and db stay unreachable" both_unreachable
}

say "# not entitled"
refused "alice (dev) asks for db" not_entitled knock "$WORK/alice.cred" db
refused "bob (ops) asks for web" not_entitled knock "$WORK/bob.cred" web

say "# a key this gateway does not know"
refused "mallory (registered at gateway C only)" unknown_key \
    knock "$WORK/mallory.cred" web

say "# stale: the client's clock is off by 120 s (skew allowed: 30 s)"
refused "alice's clock 120 s behind" stale \
    ag timeout 10 faketime -f -120s "$KNOCK" --credentials "$WORK/alice.cred" \
    --gateway "$GW_IP" web
refused "alice's clock 120 s ahead" stale \
    ag timeout 10 faketime -f +120s "$KNOCK" --credentials "$WORK/alice.cred" \
    --gateway "$GW_IP" web

say "# a knock made for another gateway"
# carol is an agent of gateway B; her agent file is now also at A, but her
# credential (and so her knock) is bound to B's identity.
cp "$B/agents.d/carol.ini" "$A/agents.d/carol.ini" || die "copy carol.ini"
sleep 0.5		# the daemon picks agent files up within ~100 ms
refused "carol's knock for gateway B, sent to A" "bad_auth|wrong_gateway" \
    knock "$WORK/carol.cred" web

say "# single-bit flips across every field"
# A knock for alice, saved but sent only to the agent's own loopback, so the
# gateway sees it first in its corrupted forms.
KN=$WORK/alice.knock
ag timeout 10 "$KNOCK" --credentials "$WORK/alice.cred" --gateway 127.0.0.1:9 \
    --duration 1 --save "$KN" web || die "spa-knock --save"
[ -s "$KN" ] || die "spa-knock --save wrote nothing"

# Prints "field byte bit" lines: 40 positions over the layout of
# common/knock.h: magic(2) version(1) flags(1) key_id(8) ts(8) nonce(24)
# body_len(2) | ciphertext(body_len) tag(16) | signature(64).
FLIPS_PY='
import sys
n = len(open(sys.argv[1], "rb").read())
bl = n - 46 - 16 - 64
ct, tag, sig = 46, 46 + bl, n - 64
pos = [("magic", 0, 0), ("magic", 1, 7), ("version", 2, 0), ("version", 2, 7),
       ("flags", 3, 0), ("flags", 3, 4),
       ("key_id", 4, 0), ("key_id", 7, 3), ("key_id", 9, 5), ("key_id", 11, 7),
       ("timestamp", 12, 7), ("timestamp", 14, 6), ("timestamp", 16, 0),
       ("timestamp", 18, 1), ("timestamp", 19, 0),
       ("nonce", 20, 0), ("nonce", 24, 1), ("nonce", 27, 5), ("nonce", 35, 2),
       ("nonce", 43, 7),
       ("body_len", 44, 0), ("body_len", 45, 0), ("body_len", 45, 7)]
for i, off in enumerate((0, 1, bl // 4, bl // 2, 3 * bl // 4, bl - 2, bl - 1)):
    pos.append(("ciphertext", ct + off, i % 8))
for i, off in enumerate((0, 7, 15)):
    pos.append(("tag", tag + off, (i * 3) % 8))
for i, off in enumerate((0, 9, 16, 31, 32, 47, 63)):
    pos.append(("signature", sig + off, (i * 5) % 8))
for f, b, bit in pos:
    print(f, b, bit)
'
FLIP_PY='
import sys
d = bytearray(open(sys.argv[1], "rb").read())
d[int(sys.argv[3])] ^= 1 << int(sys.argv[4])
open(sys.argv[2], "wb").write(d)
'
FLIP_REASONS="malformed|unknown_key|stale|bad_auth|bad_signature|replay"
nflip=0
nflip_ok=0
declare -A tally
while read -r field byte bit; do
	nflip=$((nflip + 1))
	"$PY" -c "$FLIP_PY" "$KN" "$WORK/flip.bin" "$byte" "$bit"
	mark=$(audit_mark "$A")
	send_udp "$WORK/flip.bin" "$GW_IP" "$KNOCK_PORT"
	line=$(audit_next "$A" "$mark" 3)
	d=$(json_get "$line" decision)
	r=$(json_get "$line" reason)
	if [ "$d" = refuse ] && [[ $r =~ ^($FLIP_REASONS)$ ]]; then
		nflip_ok=$((nflip_ok + 1))
		tally[$field]="${tally[$field]:+${tally[$field]} }$r"
	else
		nok "flip of bit $bit of byte $byte ($field): ${line:-no audit line}"
	fi
	sleep 0.05	# low rate: every refusal is logged, no rate limit
done < <("$PY" -c "$FLIPS_PY" "$KN")
for field in magic version flags key_id timestamp nonce body_len ciphertext tag signature; do
	say "     $field: ${tally[$field]:-none}"
done
check "all $nflip single-bit flips refused with a fitting reason ($nflip_ok)" \
    test "$nflip" -ge 40 -a "$nflip_ok" -eq "$nflip"
check "after the flips web and db stay unreachable" both_unreachable

# Control: the corrupted copies did not spoil the original (no nonce of an
# unauthenticated knock is remembered).
mark=$(audit_mark "$A")
send_udp "$KN" "$GW_IP" "$KNOCK_PORT"
expect_audit "$A" "$mark" accept ok \
    "the original knock, after its corrupted copies, is accepted"
check "it opens web" reachable "$GW_IP" 8080
sleep 1.2

say "# a captured knock replayed"
# A fresh capture: a replay must arrive inside the clock-skew window, or it
# is (rightly) refused as stale before the replay check.
KR=$WORK/alice-replay.knock
ag timeout 10 "$KNOCK" --credentials "$WORK/alice.cred" --gateway 127.0.0.1:9 \
    --duration 1 --save "$KR" web || die "spa-knock --save"
check "web is unreachable before the captured knock is sent" unreachable "$GW_IP" 8080
mark=$(audit_mark "$A")
send_udp "$KR" "$GW_IP" "$KNOCK_PORT"
expect_audit "$A" "$mark" accept ok "the captured knock, sent once, is accepted"
check "it opens web for 1 s" reachable "$GW_IP" 8080
sleep 1.5
check "the opening has expired" unreachable "$GW_IP" 8080
refused "the same knock replayed from 10.200.0.2" replay \
    send_udp "$KR" "$GW_IP" "$KNOCK_PORT"
mark=$(audit_mark "$A")
send_udp "$KR" "$GW_IP" "$KNOCK_PORT" "$AG_IP2"
expect_audit "$A" "$mark" refuse replay "the same knock replayed from 10.200.0.3: refused"
check "from 10.200.0.3 web stays unreachable" unreachable "$GW_IP" 8080 "$AG_IP2"
check "from 10.200.0.2 web stays unreachable" unreachable "$GW_IP" 8080 "$AG_IP"

say "# a revoked agent"
mark=$(audit_mark "$A")
check "dave knocks" knock "$WORK/dave.cred" --duration 5 web
expect_audit "$A" "$mark" accept ok "dave, not yet revoked, is accepted"
check "dave reaches web" reachable "$GW_IP" 8080
check "spa-admin agent revoke dave" "$ADMIN" --config-dir "$A" agent revoke dave
check "agent list shows dave revoked" \
    sh -c "'$ADMIN' --config-dir '$A' agent list | grep dave | grep -qi revoked"
sleep 0.5		# the daemon picks the revocation up within ~100 ms
check "dave's live opening is gone after the revocation" unreachable "$GW_IP" 8080
refused "dave knocks again after the revocation" revoked \
    knock "$WORK/dave.cred" --duration 5 web
