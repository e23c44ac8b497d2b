#!/bin/bash
# SPDX-License-Identifier: ISC
# 15: the operator allow-list. With `[firewall] allow = 10.200.0.2/32 tcp/22`
# in gateway.ini, an SSH-like listener on tcp/22 is reachable from
# 10.200.0.2 without any knock, and from nowhere else (10.200.0.3,
# fd00:200::2); tcp/8080 stays closed until a knock, and the allow-list
# produces no audit line.
#
#   netns GW                                   netns AG
#   +---------------------------+    veth      +--------------------------+
#   | spa-gatewayd              | eth0 -- eth0 | clients, spa-knock alice |
#   | listeners tcp/22 ("ssh"), |              | 10.200.0.2 (allowed)     |
#   |   tcp/8080 (web)          |              | 10.200.0.3, fd00:200::2  |
#   | 10.200.0.1  fd00:200::1   |              |   (not allowed)          |
#   +---------------------------+              +--------------------------+
#   gateway.ini: [firewall] allow = 10.200.0.2/32 tcp/22

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/lib3.sh
. "$(dirname "$0")/lib3.sh"
e2e_begin 15-allowlist

ns_setup
A=$WORK/gw
gw_tree "$A"
ini_set "$A/gateway.ini" firewall allow "$AG_IP/32 tcp/22"
grep -q "^allow = $AG_IP/32 tcp/22" "$A/gateway.ini" || die "edit gateway.ini"
check "spa-admin check accepts the allow-list" admin "$A" check
agent_add "$A" alice dev "$WORK/alice.cred"
service_start 22 8080
daemon_start "$A"

mark=$(audit_mark "$A")
out=$(try_connect "$GW_IP" 22 3)
check "tcp/22 is reachable from $AG_IP without a knock (says: ${out%$'\n'})" test -n "$out"
check "tcp/8080 stays closed from $AG_IP" unreachable "$GW_IP" 8080
check "tcp/22 is closed from $AG_IP2" unreachable "$GW_IP" 22 "$AG_IP2"
check "tcp/22 is closed from $AG_IP6" unreachable "$GW_IP6" 22
check "tcp/22 from $AG_IP works again (not a one-off)" reachable "$GW_IP" 22
check "the allow-list wrote no audit line" test "$(audit_mark "$A")" = "$mark"
check "the nft set holds no opening" \
    sh -c "[ -z \"\$(ip netns exec '$GW' nft -j list set inet spa_gateway in4 | $PY -c '$NFT_PY')\" ]"

say "# knocks still work beside it"
knock_expect "$A" accept ok "alice knocks for web" "$WORK/alice.cred" --duration 3 web
check "tcp/8080 is reachable after the knock" reachable "$GW_IP" 8080
check "tcp/22 is still closed from $AG_IP2" unreachable "$GW_IP" 22 "$AG_IP2"
