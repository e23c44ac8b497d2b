#!/bin/bash
# SPDX-License-Identifier: ISC
# 16: the audit line schema (README "Audit log"): for an accepted knock and
# for refusals (a known agent not entitled; a key the gateway does not
# know), every field is present with the right type and value, checked with
# Python's json: time, agent, key_id, source, address, resources, decision,
# reason, duration, expires. No key material anywhere: the agents' secret
# keys and the gateway's identity secret (base64 from their files, and in
# hex) appear neither in the audit log, nor in the daemon's stderr, nor in
# what spa-admin prints about the running daemon.
#
#   netns GW                                   netns AG
#   +---------------------------+    veth      +--------------------------+
#   | spa-gatewayd (tree A)     | eth0 -- eth0 | spa-knock alice (dev),   |
#   | service tcp/8080 (web)    |              |   mallory (tree B only)  |
#   | 10.200.0.1                |              | 10.200.0.2               |
#   +---------------------------+              +--------------------------+
#   tree A: alice in dev (web, max 5, default 3); tree B: mallory, no daemon

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/lib3.sh
. "$(dirname "$0")/lib3.sh"
e2e_begin 16-audit

ns_setup
A=$WORK/gw-a
B=$WORK/gw-b
gw_tree "$A"
gw_tree "$B"
agent_add "$A" alice dev "$WORK/alice.cred"
agent_add "$B" mallory dev "$WORK/mallory.cred"
service_start 8080
daemon_start "$A"

# key_id_of DIR NAME: the agent's key id as `spa-admin agent list` shows it.
key_id_of() {
	admin "$1" agent list || return 1
	awk -v n="$2" '$1 == n { print $2 }' <<<"$ADMIN_OUT"
}
ALICE_ID=$(key_id_of "$A" alice)
MALLORY_ID=$(key_id_of "$B" mallory)
[ -n "$ALICE_ID" ] && [ -n "$MALLORY_ID" ] || die "key ids from agent list"

# SCHEMA_PY LINE EXPECT...: checks one audit line; EXPECT is FIELD=VALUE
# ("null" for JSON null, resources as a comma list). Prints one line per
# problem, exits 1 if any.
SCHEMA_PY='
import datetime, ipaddress, json, re, sys
line, expect = sys.argv[1], dict(a.split("=", 1) for a in sys.argv[2:])
bad = []
try:
    d = json.loads(line)
except ValueError as e:
    print("not JSON: %s" % e); sys.exit(1)
if not isinstance(d, dict):
    print("not a JSON object"); sys.exit(1)
fields = ["time", "agent", "key_id", "source", "address", "resources",
          "decision", "reason", "duration", "expires"]
reasons = ["ok", "malformed", "unknown_key", "stale", "replay", "rate_limited",
           "bad_auth", "bad_signature", "wrong_gateway", "not_entitled",
           "revoked", "expired", "address_mismatch", "firewall_error"]
for f in fields:
    if f not in d:
        bad.append("field %s missing" % f)
extra = sorted(set(d) - set(fields))
if extra:
    bad.append("fields not in the documented schema: %s" % ", ".join(extra))
RFC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
def when(f):
    v = d.get(f)
    if not isinstance(v, str) or not RFC.match(v):
        bad.append("%s %r is not RFC 3339 UTC with milliseconds" % (f, v))
        return None
    return datetime.datetime.strptime(v, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)
def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)
t = when("time")
if t is not None:
    now = datetime.datetime.now(datetime.timezone.utc)
    if abs((now - t).total_seconds()) > 10:
        bad.append("time %s is not now (%s)" % (d["time"], now.isoformat()))
for f in ("agent", "key_id", "address"):
    v = d.get(f)
    if v is not None and not isinstance(v, str):
        bad.append("%s %r is neither a string nor null" % (f, v))
kid = d.get("key_id")
if isinstance(kid, str) and not re.match(r"^[0-9a-f]+$", kid):
    bad.append("key_id %r is not lower-case hex" % kid)
for f in ("source", "address"):
    v = d.get(f)
    if isinstance(v, str):
        try:
            ipaddress.ip_address(v)
        except ValueError:
            bad.append("%s %r is not an IP address" % (f, v))
if not isinstance(d.get("source"), str):
    bad.append("source %r is not a string" % d.get("source"))
r = d.get("resources")
if not isinstance(r, list) or not all(isinstance(x, str) for x in r):
    bad.append("resources %r is not a list of strings" % (r,))
if d.get("decision") not in ("accept", "refuse"):
    bad.append("decision %r is not accept or refuse" % d.get("decision"))
if d.get("reason") not in reasons:
    bad.append("reason %r is not a documented reason" % d.get("reason"))
if not is_int(d.get("duration")) or d.get("duration") < 0:
    bad.append("duration %r is not a non-negative integer" % d.get("duration"))
if d.get("expires") is not None:
    e = when("expires")
    if e is not None and t is not None and is_int(d.get("duration")):
        if abs((e - t).total_seconds() - d["duration"]) > 1:
            bad.append("expires %s is not time + duration (%s + %s)" %
                       (d["expires"], d["time"], d["duration"]))
for f, want in expect.items():
    got = d.get(f)
    if want == "null":
        ok = got is None
    elif f == "resources":
        ok = isinstance(got, list) and sorted(got) == sorted(want.split(","))
    elif f == "duration":
        ok = is_int(got) and str(got) == want
    elif want == "*":
        ok = got is not None
    else:
        ok = got == want
    if not ok:
        bad.append("%s is %r, expected %s" % (f, got, want))
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
'

# schema DESC LINE EXPECT...: one assertion over a whole audit line.
schema() {
	local desc=$1 line=$2 out; shift 2
	if out=$("$PY" -c "$SCHEMA_PY" "$line" "$@" 2>&1); then
		ok "$desc"
	else
		nok "$desc: $(tr '\n' ';' <<<"$out") line: $line"
	fi
}

say "# an accepted knock"
knock_expect "$A" accept ok "alice knocks for web (2 s)" "$WORK/alice.cred" --duration 2 web &&
    schema "the accept line: every field present, typed, right" "$AUDIT_LINE" \
	agent=alice key_id="$ALICE_ID" source="$AG_IP" address="$AG_IP" \
	resources=web decision=accept reason=ok duration=2 expires='*'

say "# refusals"
knock_expect "$A" refuse not_entitled "alice asks for db" "$WORK/alice.cred" db &&
    schema "the not_entitled line: every field present, typed, right" "$AUDIT_LINE" \
	agent=alice key_id="$ALICE_ID" source="$AG_IP" resources=db \
	decision=refuse reason=not_entitled expires=null
knock_expect "$A" refuse unknown_key "mallory (unknown here) knocks" \
    "$WORK/mallory.cred" web &&
    schema "the unknown_key line: every field present, typed, right" "$AUDIT_LINE" \
	agent=null key_id="$MALLORY_ID" source="$AG_IP" decision=refuse \
	reason=unknown_key expires=null

say "# every line of the log parses and follows the schema"
n=0
while IFS= read -r l; do
	n=$((n + 1))
	out=$("$PY" -c "$SCHEMA_PY" "$l" 2>&1) || nok "audit line $n: $(tr '\n' ';' <<<"$out") line: $l"
done <"$A/audit.log"
check "the audit log has the 3 lines (has $n)" test "$n" = 3

say "# no key material"
# secret_of FILE: the base64 secret_key value of a credential/identity file.
secret_of() { sed -n 's/^secret_key *= *//p' "$1" | head -n 1; }
# Encodings of a base64 secret worth grepping for: the value itself, its
# first 40 characters (30 bytes: unaligned copies still share them), and
# the bytes in hex, both cases.
SECRET_FORMS_PY='
import base64, sys
b64 = sys.argv[1]
raw = base64.b64decode(b64)
for s in (b64, b64[:40], raw.hex(), raw.hex().upper(),
          base64.b64encode(raw).decode().rstrip("=")):
    print(s)
'
admin "$A" openings && { printf '%s\n' "$ADMIN_OUT" >"$WORK/live.out"; }
admin "$A" metrics && { printf '%s\n' "$ADMIN_OUT" >>"$WORK/live.out"; }
admin "$A" agent list && { printf '%s\n' "$ADMIN_OUT" >>"$WORK/live.out"; }
for who in "alice:$WORK/alice.cred" "mallory:$WORK/mallory.cred" \
    "the gateway identity:$A/identity.key"; do
	name=${who%%:*}
	sec=$(secret_of "${who#*:}")
	if [ -z "$sec" ]; then nok "no secret_key in ${who#*:}"; continue; fi
	forms=$("$PY" -c "$SECRET_FORMS_PY" "$sec") || { nok "decode $name's secret"; continue; }
	for f in "$A/audit.log" "$DAEMON_LOG" "$WORK/live.out"; do
		check "$name's secret is absent from ${f##*/}" \
		    sh -c '! grep -qF -- "$1" "$2"' _ "$forms" "$f"
	done
done
check "the daemon's stderr is not empty (so the grep saw something)" test -s "$DAEMON_LOG"
