#!/bin/bash
# SPDX-License-Identifier: ISC
# 13: hot reload. A valid `spa-admin reload` keeps live openings (the connect
# still works, the element is still in the set); a reload whose policy no
# longer entitles the agent deletes that opening (and keeps the others); an
# invalid policy.ini is refused (exit 1, `policy.ini:LINE:`) and the old
# policy keeps deciding knocks; SIGHUP reloads too; `spa-admin agent add`
# takes effect on the running daemon without a reload; a changed knock port
# in gateway.ini is refused on reload (it needs a restart) and the old port
# keeps working. The daemon derives an agent's knock key before its first
# knock: after the start, and after an agent is added.
#
#   netns GW                                   netns AG
#   +---------------------------+    veth      +--------------------------+
#   | spa-gatewayd              | eth0 -- eth0 | spa-knock alice (dev),   |
#   | services tcp/8080 (web)   |              |   bob (misc, added while |
#   |   9090 (db) 7070 (extra)  |              |   the daemon runs)       |
#   | 10.200.0.1                |              | 10.200.0.2               |
#   +---------------------------+              +--------------------------+
#   policy P1: dev = web, ops = db; P2: + misc = extra; P3: invalid (gives
#   dev db); P4 (SIGHUP): dev = web, db; P5: dev = db only

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/lib3.sh
. "$(dirname "$0")/lib3.sh"
e2e_begin 13-reload

RES='[resource:web]
proto = tcp
port = 8080

[resource:db]
proto = tcp
port = 9090

[resource:extra]
proto = tcp
port = 7070
'
ENC_OPS='
[enclave:ops]
resources = db
max_duration = 60
default_duration = 60
'
ENC_MISC='
[enclave:misc]
resources = extra
max_duration = 60
default_duration = 60
'
dev() { printf '\n[enclave:dev]\nresources = %s\nmax_duration = 60\ndefault_duration = 60\n' "$1"; }

P1="$RES$(dev web)
$ENC_OPS"
P2="$P1$ENC_MISC"
# P3: dev would get db, but the extra resource's port is out of range.
P3="${RES/port = 7070/port = 99999}$(dev 'web, db')
$ENC_OPS$ENC_MISC"
P4="$RES$(dev 'web, db')
$ENC_OPS$ENC_MISC"
P5="$RES$(dev db)
$ENC_OPS$ENC_MISC"

ns_setup
A=$WORK/gw
gw_tree "$A" "$P1"
agent_add "$A" alice dev "$WORK/alice.cred"
service_start 8080 9090 7070
daemon_start "$A"
CRED=$WORK/alice.cred
web_elem="$AG_IP \\. tcp \\. 8080( |$)"
db_elem="$AG_IP \\. tcp \\. 9090( |$)"

# keys_reach N: the daemon's spa_knock_keys gauge reaches N within 3 s.
keys_reach() {
	local i
	for i in $(seq 30); do
		"$ADMIN" --config-dir "$A" metrics 2>/dev/null |
		    grep -qx "spa_knock_keys $1" && return 0
		sleep 0.1
	done
	return 1
}

check "alice's knock key is derived before she knocks (spa_knock_keys 1)" keys_reach 1
check "the daemon logs it" grep -q 'knock keys derived ahead of first knocks: 1 in' \
    "$DAEMON_LOG"

say "# a valid reload keeps live openings"
knock_expect "$A" accept ok "alice knocks for web (60 s)" "$CRED" --duration 60 web
check "web is reachable" reachable "$GW_IP" 8080
printf '%s' "$P2" >"$A/policy.ini"
check "spa-admin reload (a new enclave) exits 0" admin "$A" reload
check "web is still reachable" reachable "$GW_IP" 8080
check "the element is still in the set" in_set in4 "$web_elem"
check "spa-admin openings still lists alice's web opening" \
    openings_has "$A" "^alice +$AG_IP +web +"

say "# an invalid policy is refused, the old one keeps deciding"
printf '%s' "$P3" >"$A/policy.ini"
line=$(grep -n 'port = 99999' "$A/policy.ini" | cut -d: -f1)
admin "$A" reload
rc=$?
say "    reload said: $ADMIN_OUT"
check "spa-admin reload exits 1 (exit $rc)" test "$rc" = 1
check "and reports policy.ini:$line:" grep -q "policy.ini:$line:" <<<"$ADMIN_OUT"
check "web is still reachable" reachable "$GW_IP" 8080
check "the element is still in the set" in_set in4 "$web_elem"
knock_expect "$A" refuse not_entitled "alice asks for db (only the refused policy gives it)" \
    "$CRED" db
check "db stays unreachable" unreachable "$GW_IP" 9090
knock_expect "$A" accept ok "alice asks for web (the old policy)" "$CRED" --duration 60 web

say "# SIGHUP"
printf '%s' "$P4" >"$A/policy.ini"
n0=$(reload_count)
check "kill -HUP the daemon" kill -HUP "$DAEMON_PID"
wait_reload_after "$n0" || say "    (no 'reloaded' line in the daemon's log within 3 s)"
knock_expect "$A" accept ok "after SIGHUP alice may ask for db" "$CRED" --duration 60 db
check "db is reachable" reachable "$GW_IP" 9090
check "web is still reachable" reachable "$GW_IP" 8080

say "# a reload that removes an entitlement deletes that opening"
printf '%s' "$P5" >"$A/policy.ini"
check "spa-admin reload (dev loses web) exits 0" admin "$A" reload
check "web is no longer reachable" unreachable "$GW_IP" 8080
check "its element is gone from the set" sh -c "! ip netns exec '$GW' \
    nft list set inet spa_gateway in4 | grep -Eq '$web_elem'"
admin "$A" openings
check "spa-admin openings no longer lists the web opening" \
    sh -c "[ \$0 = 0 ] && ! printf '%s\n' \"\$1\" | grep -Eq '^alice +[^ ]+ +web '" \
    "$?" "$ADMIN_OUT"
check "db (still allowed) is still reachable" reachable "$GW_IP" 9090
check "its element is still in the set" in_set in4 "$db_elem"
knock_expect "$A" refuse not_entitled "alice asks for web again" "$CRED" web

say "# spa-admin agent add while the daemon runs"
agent_add_args "$A" bob "$WORK/bob.cred" --enclave misc
check "bob's knock key is derived before he knocks (spa_knock_keys 2)" keys_reach 2
# agents.d is watched: allow a moment, but never reload.
for i in 1 2 3 4 5 6 7 8; do
	mark=$(audit_mark "$A")
	knock "$WORK/bob.cred" --duration 60 extra >/dev/null 2>&1
	line_b=$(audit_next "$A" "$mark" 3)
	[ "$(json_get "$line_b" decision)" = accept ] && break
	sleep 0.25
done
check "bob, added after the start, is accepted without a reload (after $i knocks; last: $line_b)" \
    test "$(json_get "$line_b" decision)/$(json_get "$line_b" agent)" = accept/bob
check "extra is reachable" reachable "$GW_IP" 7070

say "# a changed knock port is refused on reload"
cp "$A/gateway.ini" "$WORK/gateway.ini.orig"
ini_set "$A/gateway.ini" gateway port 62299
grep -q '^port = 62299' "$A/gateway.ini" || die "edit gateway.ini"
admin "$A" reload
rc=$?
say "    reload said: $ADMIN_OUT"
check "spa-admin reload exits 1 (exit $rc)" test "$rc" = 1
check "with an error naming the port" grep -qi 'port' <<<"$ADMIN_OUT"
knock_expect "$A" accept ok "a knock on the old port $KNOCK_PORT is still decided" \
    "$CRED" --duration 60 db
cp "$WORK/gateway.ini.orig" "$A/gateway.ini"
check "with gateway.ini restored, spa-admin reload exits 0" admin "$A" reload
check "db is still reachable" reachable "$GW_IP" 9090
