#!/bin/bash
# SPDX-License-Identifier: ISC
# The spa-gateway demo (make demo): a dark gateway, an agent that knocks, a
# protected service, all on this machine in two network namespaces that the
# demo creates and removes. About 20 seconds.
#
#   netns "gateway"                            netns "agent"
#   +---------------------------+    veth      +--------------------------+
#   | spa-gatewayd              | eth0 -- eth0 | spa-knock                |
#   | protected service tcp/8080|              | (agents alice and bob)   |
#   | 10.200.0.1                |              | 10.200.0.2               |
#   +---------------------------+              +--------------------------+

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/e2e/lib.sh"
E2E_SUMMARY=0
e2e_begin demo
UNEXPECTED=0

# Printing helpers: a section title, a command shown before it runs.
if [ -t 1 ]; then BOLD=$'\033[1m' PLAIN=$'\033[0m'; else BOLD='' PLAIN=''; fi
section() { printf '\n%s== %s%s\n' "$BOLD" "$*" "$PLAIN"; }
narrate() { printf '%s\n' "$@" | fold -s -w 78; }
show() { printf '  $ %s\n' "$*"; }
indent() { sed 's/^[[:space:]]*/    /'; }
unexpected() { printf '  !! UNEXPECTED: %s\n' "$*"; UNEXPECTED=$((UNEXPECTED + 1)); }
e2e_end_demo() {
	[ "$UNEXPECTED" -eq 0 ] || { echo; echo "demo: $UNEXPECTED unexpected results"; exit 1; }
}

# demo_connect WHO: try the service from the agent and say what happened.
demo_connect() {
	local out
	show "connect to $GW_IP:8080   (from the agent namespace, $1)"
	if out=$(try_connect "$GW_IP" 8080 "$2"); then
		printf '    connected; the service says: %s\n' "$out"
		return 0
	fi
	printf '    no answer at all within %s s: the SYN was silently dropped\n' "$2"
	return 1
}

DIR=$WORK/gateway
section "1. Two hosts: a gateway and an agent"
narrate "Two network namespaces joined by a veth pair stand in for the gateway" \
    "host and an agent's VM: gateway 10.200.0.1, agent 10.200.0.2."
ns_setup
show "ip netns add $GW; ip netns add $AG; ip link add ... type veth ..."

section "2. Set up the gateway with spa-admin"
show "spa-admin init --config-dir $DIR --interface eth0 --address $GW_IP"
gw_tree "$DIR"
ls -1 "$DIR" | indent
narrate "" "The policy (policy.ini): resource web is tcp/8080, db is tcp/9090;" \
    "enclave dev may use web, enclave ops only db, for at most 5 s at a time."
grep -v '^$' "$DIR/policy.ini" | indent

section "3. Start the protected service and spa-gatewayd on the gateway"
service_start 8080 9090
show "(in $GW) a small TCP service on ports 8080 and 9090"
show "(in $GW) spa-gatewayd --config-dir $DIR --foreground"
daemon_start "$DIR"
grep ready "$DAEMON_LOG" | indent
show "nft list chain inet spa_gateway input"
gw nft list chain inet spa_gateway input 2>&1 | grep -E 'hook|accept|drop' | indent

section "4. The service is invisible"
demo_connect "no knock yet" 2 && unexpected "the service answered before any knock"
show "nmap -sS -p 22,80,443,8080,62201 $GW_IP;  nmap -sU -p 62201 $GW_IP"
out=$(nmap_scan -sS -p 22,80,443,8080,62201 "$GW_IP"; nmap_scan -sU -p 62201 "$GW_IP")
grep -E '^[0-9]+/|ignored states|are filtered' <<<"$out" | indent
grep -Eq '^[0-9]+/(tcp|udp) +(open|closed) ' <<<"$out" &&
    unexpected "nmap found an open or closed port"
narrate "Every port, the knock port included, looks filtered: the gateway never" \
    "answers anything."

section "5. Issue the agents their keys"
show "spa-admin agent add alice --enclave dev --output alice.cred"
agent_add "$DIR" alice dev "$WORK/alice.cred"
show "spa-admin agent add bob --enclave ops --output bob.cred"
agent_add "$DIR" bob ops "$WORK/bob.cred"
ls -l "$WORK/alice.cred" "$WORK/bob.cred" | awk '{print $1, $NF}' | sed "s|$WORK/||" | indent
show "spa-admin agent list"
"$ADMIN" --config-dir "$DIR" agent list 2>&1 | indent
narrate "A credential file holds the agent's secret key and the gateway's address" \
    "and public key: it is what an admin hands to the agent's VM."

section "6. alice knocks, then connects"
show "spa-knock --credentials alice.cred --duration 3 web"
mark=$(audit_mark "$DIR")
knock "$WORK/alice.cred" --duration 3 web || unexpected "spa-knock failed"
t0=$(date +%s)
demo_connect "alice, after her knock" 3 || unexpected "no connection after the knock"
show "nft list set inet spa_gateway in4"
gw nft list set inet spa_gateway in4 2>&1 | grep -E 'elements|tcp' | indent
audit_next "$DIR" "$mark" 3 >/dev/null

section "7. The opening expires"
narrate "The knock asked for 3 s; the kernel removes the set element by itself."
while [ $(($(date +%s) - t0)) -lt 4 ]; do sleep 0.2; done
demo_connect "alice, 4 s after her knock" 1 && unexpected "the opening did not expire"

section "8. bob, who is not entitled to web, is refused"
show "spa-knock --credentials bob.cred web"
mark=$(audit_mark "$DIR")
knock "$WORK/bob.cred" web || unexpected "spa-knock failed"
line=$(audit_next "$DIR" "$mark" 3)
printf '    the gateway decided: %s (%s)\n' "$(json_get "$line" decision)" \
    "$(json_get "$line" reason)"
demo_connect "bob, after his knock" 1 && unexpected "bob reached web"

section "9. The audit log: one JSON line per decision"
show "cat $DIR/audit.log"
indent <"$DIR/audit.log"
narrate "" "The same, one line each:"
"$PY" -c '
import json, sys
print("    %-6s %-8s %-13s %-9s %-11s %s" % ("AGENT", "DECISION", "REASON",
    "RESOURCES", "SOURCE", "DURATION"))
for l in open(sys.argv[1]):
    j = json.loads(l)
    print("    %-6s %-8s %-13s %-9s %-11s %ss" % (j.get("agent"), j.get("decision"),
        j.get("reason"), ",".join(j.get("resources") or []) or "-", j.get("source"),
        j.get("duration")))
' "$DIR/audit.log"

section "10. Clean up"
narrate "Stopping spa-gatewayd and the service, deleting both namespaces."
e2e_end_demo
