#!/bin/bash
# SPDX-License-Identifier: ISC
# 11: enclaves and labels. An agent of enclave A never reaches a resource
# only enclave B holds, whatever it asks for (B's resource by name, A's and
# B's together, every resource, a name that does not exist); an agent is a
# member of an enclave through labels when it carries all of them; an agent
# whose expiry has passed is refused (`expired`), also when it passes while
# the daemon runs; a knock asking for more than max_duration gets
# max_duration (audit line and nft element timeout); without a duration the
# enclave's default_duration.
#
#   netns GW                                   netns AG
#   +---------------------------+    veth      +----------------------------+
#   | spa-gatewayd              | eth0 -- eth0 | spa-knock: alice (A),      |
#   | services tcp/8080 (aweb)  |              |   bob (B), mia (labels     |
#   |   9090 (bdb) 6060 (shared)|              |   team=ml env=prod), carl  |
#   |   7070 (mlapi)            |              |   (team=ml only), eve      |
#   | 10.200.0.1                |              |   (expired), frank (expires|
#   +---------------------------+              |   during the test)         |
#                                              | 10.200.0.2                 |
#                                              +----------------------------+
#   policy: A = aweb, shared; B = bdb, shared; ml (labels team=ml, env=prod)
#           = mlapi; each max_duration 6, default_duration 4

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/lib3.sh
. "$(dirname "$0")/lib3.sh"
e2e_begin 11-enclaves

ns_setup
A=$WORK/gw
gw_tree "$A" '[resource:aweb]
proto = tcp
port = 8080

[resource:bdb]
proto = tcp
port = 9090

[resource:shared]
proto = tcp
port = 6060

[resource:mlapi]
proto = tcp
port = 7070

[enclave:a]
resources = aweb, shared
max_duration = 6
default_duration = 4

[enclave:b]
resources = bdb, shared
max_duration = 6
default_duration = 4

[enclave:ml]
resources = mlapi
labels = team=ml, env=prod
max_duration = 6
default_duration = 4
'
agent_add_args "$A" alice "$WORK/alice.cred" --enclave a
agent_add_args "$A" bob "$WORK/bob.cred" --enclave b
agent_add_args "$A" mia "$WORK/mia.cred" --label team=ml --label env=prod
agent_add_args "$A" carl "$WORK/carl.cred" --label team=ml
# eve: spa-admin refuses an expiry in the past, so her file is edited.
agent_add_args "$A" eve "$WORK/eve.cred" --enclave a --expires 2099-01-01T00:00:00Z
sed -i 's/^expires *=.*/expires = 2001-01-01T00:00:00Z/' "$A/agents.d/eve.ini"
grep -q '^expires = 2001-01-01T00:00:00Z' "$A/agents.d/eve.ini" || die "edit eve.ini"
FRANK_EXP=$(( $(date +%s) + 12 ))
agent_add_args "$A" frank "$WORK/frank.cred" --enclave a --expires "$(rfc3339 "$FRANK_EXP")"
service_start 8080 9090 6060 7070
daemon_start "$A"

say "# frank, not yet expired"
knock_expect "$A" accept ok "frank (expires in a few seconds) is accepted" \
    "$WORK/frank.cred" --duration 1 aweb
sleep 1.5		# his opening (shared with everyone at 10.200.0.2) ends

say "# an expired agent"
knock_expect "$A" refuse expired "eve (expired 2001) knocks for aweb" \
    "$WORK/eve.cred" aweb
check "after eve's knock aweb stays unreachable" unreachable "$GW_IP" 8080

say "# enclave isolation: alice (A) asks for what only B holds"
knock_expect "$A" refuse not_entitled "alice asks for bdb by name" \
    "$WORK/alice.cred" bdb
check "bdb stays unreachable" unreachable "$GW_IP" 9090
knock_expect "$A" refuse not_entitled "alice asks for aweb and bdb together" \
    "$WORK/alice.cred" aweb bdb
check "bdb stays unreachable" unreachable "$GW_IP" 9090
check "nothing of that request opened (aweb unreachable)" unreachable "$GW_IP" 8080
knock_expect "$A" refuse not_entitled "alice asks for a name that does not exist" \
    "$WORK/alice.cred" nosuch
knock_expect "$A" refuse not_entitled "alice asks for mlapi (a labels enclave)" \
    "$WORK/alice.cred" mlapi
check "mlapi stays unreachable" unreachable "$GW_IP" 7070
knock_expect "$A" accept ok "alice asks for everything (no names)" \
    "$WORK/alice.cred" --duration 6
res_set_is "she is granted exactly aweb and shared" "aweb,shared"
check "aweb is reachable" reachable "$GW_IP" 8080
check "shared is reachable" reachable "$GW_IP" 6060
check "bdb stays unreachable" unreachable "$GW_IP" 9090
check "mlapi stays unreachable" unreachable "$GW_IP" 7070
got=$(set_elems in4 | awk '{ print $1, $3, $5 }' | sort | paste -sd';' -)
want="$AG_IP tcp 6060;$AG_IP tcp 8080"
if [ "$got" = "$want" ]; then ok "the in4 set holds exactly 6060 and 8080"
else nok "in4 set: expected '$want', got '$got'"; fi

say "# durations: max_duration 6, default_duration 4"
knock_expect "$A" accept ok "alice asks aweb for 600 s" "$WORK/alice.cred" \
    --duration 600 aweb
field_is "the audit line grants max_duration, 6 s" duration 6
t=$(elem_timeout in4 "$AG_IP . tcp . 8080")
check "the nft element's timeout is 6 s (nft -j says '$t')" test "$t" = 6
knock_expect "$A" accept ok "alice asks aweb with no duration" "$WORK/alice.cred" aweb
field_is "the audit line grants default_duration, 4 s" duration 4
t=$(elem_timeout in4 "$AG_IP . tcp . 8080")
check "the nft element's timeout is 4 s (nft -j says '$t')" test "$t" = 4
knock_expect "$A" accept ok "alice asks aweb for 5 s (under the maximum)" \
    "$WORK/alice.cred" --duration 5 aweb
field_is "the audit line grants 5 s" duration 5

say "# label membership"
knock_expect "$A" refuse not_entitled "carl (team=ml, lacks env=prod) asks for mlapi" \
    "$WORK/carl.cred" mlapi
check "mlapi stays unreachable" unreachable "$GW_IP" 7070
knock_expect "$A" refuse not_entitled "mia (labels only) asks for bdb" \
    "$WORK/mia.cred" bdb
knock_expect "$A" accept ok "mia (team=ml, env=prod) asks for mlapi" \
    "$WORK/mia.cred" --duration 6 mlapi
check "mlapi is reachable" reachable "$GW_IP" 7070
knock_expect "$A" accept ok "mia asks for everything" "$WORK/mia.cred" --duration 2
res_set_is "she is granted exactly mlapi" mlapi

say "# enclave B's own agent (the isolation checks above were meaningful)"
knock_expect "$A" accept ok "bob (B) asks for bdb" "$WORK/bob.cred" --duration 2 bdb
check "bdb is reachable" reachable "$GW_IP" 9090

say "# frank's expiry passes while the daemon runs"
sleep_until "$((FRANK_EXP + 1))"
knock_expect "$A" refuse expired "frank, now expired, knocks for aweb" \
    "$WORK/frank.cred" aweb
