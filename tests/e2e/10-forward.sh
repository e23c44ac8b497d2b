#!/bin/bash
# SPDX-License-Identifier: ISC
# 10: resources behind the gateway, reached through its forward chain. The
# backend is unreachable from the agent until the knock; after it exactly the
# entitled address and port open: not another port of the backend, not the
# backend's second address, not the same port on the gateway itself, not
# from the agent's second source address. A port-range resource
# (9000-9002) opens exactly those three ports.
#
#   netns AG                 netns GW (router, ip_forward=1)     netns BK
#   +-----------------+ veth +------------------------+ veth +------------------+
#   | spa-knock alice |eth0--eth0 spa-gatewayd      eth1--eth0 services tcp/8080,|
#   | 10.200.0.2, .3  |      | 10.200.0.1  10.201.0.1 |      | 8081, 8999-9003  |
#   | route 10.201/24 |      | service tcp/8080 (on   |      | 10.201.0.2 (app) |
#   |   via .0.1      |      |   the gateway itself)  |      | 10.201.0.3 (2nd) |
#   +-----------------+      +------------------------+      | default via .0.1 |
#                                                            +------------------+
#   policy: app = tcp/8080 at 10.201.0.2, range = tcp/9000-9002 at 10.201.0.2,
#           enclave dev = app, range (max 20 s)

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/lib3.sh
. "$(dirname "$0")/lib3.sh"
e2e_begin 10-forward

BK_IP=10.201.0.2
BK_IP2=10.201.0.3
GW_BK_IP=10.201.0.1

ns_setup
ns_extra bk
BK=$NS_EXTRA
ip -n "$GW" link add eth1 type veth peer name eth0 netns "$BK" || die "veth gw-bk"
ip -n "$GW" addr add "$GW_BK_IP/24" dev eth1
ip -n "$BK" addr add "$BK_IP/24" dev eth0
ip -n "$BK" addr add "$BK_IP2/24" dev eth0
GW_MAC1=$(gw cat /sys/class/net/eth1/address)
BK_MAC=$(ip netns exec "$BK" cat /sys/class/net/eth0/address)
for a in "$BK_IP" "$BK_IP2"; do
	ip -n "$GW" neigh replace "$a" lladdr "$BK_MAC" dev eth1 nud permanent
done
ip -n "$BK" neigh replace "$GW_BK_IP" lladdr "$GW_MAC1" dev eth0 nud permanent
ip -n "$GW" link set eth1 up || die "link up eth1"
ip -n "$BK" link set eth0 up || die "link up bk eth0"
ip -n "$BK" route add default via "$GW_BK_IP" || die "backend route"
ip -n "$AG" route add 10.201.0.0/24 via "$GW_IP" || die "agent route"
gw sysctl -qw net.ipv4.ip_forward=1 || die "ip_forward"

A=$WORK/gw
gw_tree "$A" '[resource:app]
proto = tcp
port = 8080
address = 10.201.0.2

[resource:range]
proto = tcp
port = 9000-9002
address = 10.201.0.2

[enclave:dev]
resources = app, range
max_duration = 20
default_duration = 20
'
agent_add "$A" alice dev "$WORK/alice.cred"
CRED=$WORK/alice.cred

# The backend's services (the lib's service, in the backend namespace) and
# one on the gateway itself, on the same port as app.
bg ip netns exec "$BK" "$PY" -c "$SERVICE_PY" 8080 8081 8999 9000 9001 9002 9003 \
    >"$WORK/backend.log" 2>&1
n=100
while [ "$n" -gt 0 ] && ! grep -q listening "$WORK/backend.log"; do
	sleep 0.05; n=$((n - 1))
done
grep -q listening "$WORK/backend.log" || { cat "$WORK/backend.log"; die "backend service"; }
service_start 8080
daemon_start "$A"

# Routing is plain (the connects after the knock prove it): before the knock
# the daemon's forward chain is all that is in the way.
check "the gateway's forward chain has policy drop" \
    sh -c "ip netns exec '$GW' nft list chain inet spa_gateway forward | grep -q 'policy drop'"

say "# before any knock"
check "backend $BK_IP:8080 is unreachable from the agent" unreachable "$BK_IP" 8080
check "backend $BK_IP:9000 is unreachable from the agent" unreachable "$BK_IP" 9000

say "# knock for app (tcp/8080 at $BK_IP)"
knock_expect "$A" accept ok "alice's knock for app" "$CRED" --duration 20 app
field_is "the audit line grants app" resources app
field_is "the audit line's address is the agent's source" address "$AG_IP"
out=$(try_connect "$BK_IP" 8080 3)
check "backend $BK_IP:8080 is reachable (backend says: ${out%$'\n'})" test -n "$out"
check "the fwd4 set holds $AG_IP . $BK_IP . tcp . 8080" \
    in_set fwd4 "$AG_IP \\. $BK_IP \\. tcp \\. 8080( |$)"
check "the in4 set is empty (nothing opened on the gateway itself)" \
    sh -c "[ -z \"\$(ip netns exec '$GW' nft -j list set inet spa_gateway in4 | $PY -c '$NFT_PY')\" ]"
check "another port of the backend ($BK_IP:8081) stays closed" unreachable "$BK_IP" 8081
check "the backend's other address ($BK_IP2:8080) stays closed" unreachable "$BK_IP2" 8080
check "the same port on the gateway itself ($GW_IP:8080) stays closed" unreachable "$GW_IP" 8080
check "the range ($BK_IP:9000) stays closed until asked for" unreachable "$BK_IP" 9000
check "from the agent's other source $AG_IP2, $BK_IP:8080 stays closed" \
    unreachable "$BK_IP" 8080 "$AG_IP2"
check "spa-admin openings lists alice $AG_IP app $BK_IP tcp/8080" \
    openings_has "$A" "^alice +$AG_IP +app +$BK_IP +tcp/8080(-8080)? +[0-9]+"

say "# knock for range (tcp/9000-9002 at $BK_IP)"
knock_expect "$A" accept ok "alice's knock for range" "$CRED" --duration 20 range
for p in 9000 9001 9002; do
	check "backend $BK_IP:$p is reachable" reachable "$BK_IP" "$p"
done
check "below the range, $BK_IP:8999 stays closed" unreachable "$BK_IP" 8999
check "above the range, $BK_IP:9003 stays closed" unreachable "$BK_IP" 9003
check "the range on the backend's other address ($BK_IP2:9001) stays closed" \
    unreachable "$BK_IP2" 9001
got=$(set_elems fwd4 | awk '{ print $1, $3, $5, $7 }' | sort | paste -sd';' -)
want="$AG_IP $BK_IP tcp 8080;$AG_IP $BK_IP tcp 9000;$AG_IP $BK_IP tcp 9001;$AG_IP $BK_IP tcp 9002"
if [ "$got" = "$want" ]; then
	ok "the fwd4 set holds exactly 8080 and 9000-9002 for $AG_IP -> $BK_IP"
else
	nok "fwd4 set: expected '$want', got '$got'"
fi
check "spa-admin openings lists alice $AG_IP range $BK_IP tcp/9000-9002" \
    openings_has "$A" "^alice +$AG_IP +range +$BK_IP +tcp/9000-9002 +[0-9]+"
