#!/bin/bash
# SPDX-License-Identifier: ISC
# 01: the gateway is dark. Before any knock a TCP connect fails, nmap SYN and
# UDP scans find no open or closed port, and a capture on the agent side sees
# not one frame from the gateway's MAC, before or after a knock.
#
#   netns GW                                   netns AG
#   +---------------------------+    veth      +--------------------------+
#   | spa-gatewayd              | eth0 -- eth0 | nmap -sS / -sU           |
#   | service tcp/8080, 9090    |              | tcpdump "ether src GWMAC"|
#   | 10.200.0.1  fd00:200::1   |              | spa-knock (alice, dev)   |
#   +---------------------------+              | 10.200.0.2  fd00:200::2  |
#                                              +--------------------------+

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_begin 01-dark

ns_setup
A=$WORK/gw
gw_tree "$A"
agent_add "$A" alice dev "$WORK/alice.cred"
service_start 8080 9090
daemon_start "$A"
link_settled

# The capture runs for the whole test: every frame the gateway sends.
CAP=$WORK/gw-frames.pcap
# --immediate-mode: each frame reaches the file at once, not a block later.
bg ip netns exec "$AG" timeout 120 tcpdump -i eth0 -n -U --immediate-mode -w "$CAP" \
    "ether src $GW_MAC" 2>"$WORK/tcpdump.log"
CAP_PID=$BG_PID
n=100
while [ "$n" -gt 0 ] && ! grep -q listening "$WORK/tcpdump.log"; do
	sleep 0.05; n=$((n - 1))
done
grep -q listening "$WORK/tcpdump.log" || die "tcpdump did not start"

# frames: how many frames the capture holds so far.
frames() {
	timeout 10 tcpdump -r "$CAP" -n 2>/dev/null | wc -l
}

check "tcp connect to 10.200.0.1:8080 fails" unreachable "$GW_IP" 8080
check "tcp connect to [fd00:200::1]:8080 fails" unreachable "$GW_IP6" 8080
check "tcp connect to 10.200.0.1:9090 fails" unreachable "$GW_IP" 9090

scan_dark "nmap SYN scan (1-1024, 8080, 9090, 62201): nothing open or closed" \
    -sS -p 1-1024,8080,9090,62201 "$GW_IP"
scan_dark "nmap SYN scan over IPv6: nothing open or closed" \
    -6 -sS -p 22,80,443,8080,9090,62201 "$GW_IP6"
scan_dark "nmap UDP scan (62201 and a few others): nothing open or closed" \
    -sU -p 53,67,123,161,500,4500,8080,62201 "$GW_IP"
scan_dark "nmap UDP scan over IPv6: nothing open or closed" \
    -6 -sU -p 53,123,62201 "$GW_IP6"

sleep 0.5
check "no frame at all from the gateway before the knock ($(frames) seen)" \
    test "$(frames)" -eq 0

# A valid knock is never answered either.
mark=$(audit_mark "$A")
check "spa-knock exits 0" knock "$WORK/alice.cred" --duration 5 web
expect_audit "$A" "$mark" accept ok "the knock was accepted"
sleep 1
check "no frame at all from the gateway after the knock ($(frames) seen)" \
    test "$(frames)" -eq 0

# Control: the capture does see the gateway once it has a reason to answer.
check "after the knock the connect succeeds" reachable "$GW_IP" 8080
seen() {
	local n=60
	while [ "$n" -gt 0 ] && [ "$(frames)" -eq 0 ]; do sleep 0.05; n=$((n - 1)); done
	[ "$(frames)" -gt 0 ]
}
check "control: the capture sees the gateway's replies to that connection" seen

