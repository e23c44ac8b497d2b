#!/bin/bash
# SPDX-License-Identifier: ISC
# 14: addresses. An agent with only IPv6 addresses knocks and connects (the
# opening lands in the in6 set). A knock may name the address to open for
# (`spa-knock --address`): its own source is accepted; another address is
# refused (`address_mismatch`, the audit line shows both the source and the
# named address) unless gateway.ini has `allow_other_address = yes` (set,
# then `spa-admin reload`), after which the named address is opened and the
# source is not.
#
#   netns GW                                   netns AG (no IPv4 address)
#   +---------------------------+    veth      +---------------------------+
#   | spa-gatewayd              | eth0 -- eth0 | spa-knock alice           |
#   | service tcp/8080 (web)    |              | fd00:200::2 (source)      |
#   | fd00:200::1 (10.200.0.1)  |              | fd00:200::3 (deprecated:  |
#   +---------------------------+              |  used only when bound)    |
#                                              +---------------------------+
#   policy: enclave dev = web, max_duration 10, default_duration 10

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/lib3.sh
. "$(dirname "$0")/lib3.sh"
e2e_begin 14-ipv6

ns_setup
ip -n "$AG" -4 addr flush dev eth0 || die "remove the agent's IPv4 addresses"
A=$WORK/gw
gw_tree "$A" '[resource:web]
proto = tcp
port = 8080

[enclave:dev]
resources = web
max_duration = 10
default_duration = 10
'
agent_add "$A" alice dev "$WORK/alice.cred"
CRED=$WORK/alice.cred
service_start 8080
daemon_start "$A"

# knock6 ARGS...: knock at the gateway's IPv6 address.
knock6() {
	ag timeout 10 "$KNOCK" --credentials "$CRED" --gateway "[$GW_IP6]:$KNOCK_PORT" "$@"
}
# knock6_expect DECISION REASONS DESC ARGS...
knock6_expect() {
	local decision=$1 reasons=$2 desc=$3 mark; shift 3
	mark=$(audit_mark "$A")
	if ! knock6 "$@" >"$WORK/knock.out" 2>&1; then
		nok "$desc: spa-knock $* failed: $(head -n 1 "$WORK/knock.out")"
		AUDIT_LINE=
		return 1
	fi
	expect_audit "$A" "$mark" "$decision" "$reasons" "$desc"
}
# elem6 ADDR: the in6 set holds ADDR . tcp . 8080; no6 ADDR: nothing for ADDR.
elem6() { set_elems in6 | grep -q "^$1 \\. tcp \\. 8080 "; }
no6() { ! set_elems in6 | grep -q "^$1 "; }

check "the agent has no IPv4 address" \
    sh -c "[ -z \"\$(ip -n '$AG' -4 addr show scope global)\" ]"

say "# an IPv6-only agent"
check "before the knock [$GW_IP6]:8080 is unreachable" unreachable "$GW_IP6" 8080
knock6_expect accept ok "alice knocks over IPv6" --duration 3 web
field_is "the audit source is $AG_IP6" source "$AG_IP6"
field_is "the audit address is $AG_IP6" address "$AG_IP6"
out=$(try_connect "$GW_IP6" 8080 3)
check "the connect over IPv6 succeeds (service says: ${out%$'\n'})" test -n "$out"
check "the in6 set holds $AG_IP6 . tcp . 8080" elem6 "$AG_IP6"

say "# naming the address to open for"
# (when a knock fails, the checks on its audit line are left out: one
# failure each, not a cascade)
knock6_expect accept ok "alice names her own source (--address $AG_IP6)" \
    --address "$AG_IP6" --duration 3 web &&
    field_is "the audit address is $AG_IP6" address "$AG_IP6"
knock6_expect refuse address_mismatch "alice names another address (--address $AG_IP6_2)" \
    --address "$AG_IP6_2" --duration 3 web && {
	field_is "the refusal's audit source is $AG_IP6" source "$AG_IP6"
	field_is "the refusal's audit address is the named $AG_IP6_2" address "$AG_IP6_2"
}
check "the named address was not opened ($AG_IP6_2 -> 8080 unreachable)" \
    unreachable "$GW_IP6" 8080 "$AG_IP6_2"
check "the in6 set holds nothing for $AG_IP6_2" no6 "$AG_IP6_2"

say "# with allow_other_address = yes"
ini_set "$A/gateway.ini" gateway allow_other_address yes
grep -q '^allow_other_address = yes' "$A/gateway.ini" || die "edit gateway.ini"
admin "$A" reload
rc=$?
check "spa-admin reload exits 0 (exit $rc: $ADMIN_OUT)" test "$rc" = 0
sleep 3		# alice's own opening (3 s) has ended
check "her source's opening has expired" unreachable "$GW_IP6" 8080
knock6_expect accept ok "alice names $AG_IP6_2" --address "$AG_IP6_2" --duration 5 web && {
	field_is "the audit source is $AG_IP6" source "$AG_IP6"
	field_is "the audit address is $AG_IP6_2" address "$AG_IP6_2"
}
check "the named address $AG_IP6_2 connects" reachable "$GW_IP6" 8080 "$AG_IP6_2"
check "the source $AG_IP6 does not" unreachable "$GW_IP6" 8080 "$AG_IP6"
check "the in6 set holds $AG_IP6_2 . tcp . 8080" elem6 "$AG_IP6_2"
check "and nothing for $AG_IP6" no6 "$AG_IP6"
