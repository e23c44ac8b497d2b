#!/bin/bash
# SPDX-License-Identifier: ISC
# 05-bad-input: every malformed gateway.ini, policy.ini, agent file and
# credential file is refused with a non-zero exit and an error naming the file
# and the offending line ("FILE:LINE:"); spa-admin refuses bad requests and
# leaves nothing half-done behind.
#
# No network namespaces: this test only runs build/spa-admin and
# build/spa-knock on files in a scratch directory (mktemp -d), removed on exit.
# Each case starts from a pristine copy of a valid tree made by spa-admin init:
#
#   $WORK/gw/          gateway.ini identity.key policy.ini agents.d/alice.ini
#   $WORK/alice.cred   alice's credential file
#   $WORK/pristine/    copies of both, restored before every case

set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${SPA_BUILD:-$ROOT/build}
ADMIN=$BUILD/spa-admin
KNOCK=$BUILD/spa-knock
NAME=05-bad-input

PASS=0
FAIL=0
WORK=

cleanup() {
	if [ -n "$WORK" ] && [ -d "$WORK" ]; then
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ok() { PASS=$((PASS + 1)); printf 'ok   - %s\n' "$*"; }
nok() { FAIL=$((FAIL + 1)); printf 'FAIL - %s\n' "$*"; }
summary() { echo "$NAME: $PASS passed, $FAIL failed"; }
die() { nok "$*"; summary; exit 1; }

for b in "$ADMIN" "$KNOCK"; do
	[ -x "$b" ] || die "missing $b (run make first)"
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/spa-05.XXXXXX") || die "mktemp failed"
WORK=$(cd "$WORK" && pwd -P)
D=$WORK/gw
CRED=$WORK/alice.cred
OUT=$WORK/out
ERR=$WORK/err

admin() { "$ADMIN" --config-dir "$D" "$@" >"$OUT" 2>"$ERR"; }

# Show what a failed case printed, so that a failure explains itself.
show_err() { sed 's/^/       | /' "$ERR" "$OUT" | head -n 8; }

# --- a valid tree ---------------------------------------------------------

"$ADMIN" init --config-dir "$D" --interface lo >"$OUT" 2>"$ERR" ||
	{ show_err; die "spa-admin init of a fresh tree"; }
grep -q '^address = 127\.0\.0\.1$' "$D/gateway.ini" ||
	{ show_err; die "init found lo's address 127.0.0.1"; }
admin check || { show_err; die "check of the fresh tree (empty policy)"; }

cat >"$D/policy.ini" <<'EOF'
# test policy
[resource:web]
proto = tcp
port = 8080

[enclave:ops]
resources = web
max_duration = 60
EOF
admin agent add alice --enclave ops --label team=ops \
	--expires 2099-01-01T00:00:00Z --output "$CRED" ||
	{ show_err; die "agent add alice"; }
admin check && grep -q '^ok: 1 resources, 1 enclaves, 1 agents$' "$OUT" ||
	{ show_err; die "check of the valid tree"; }
ok "setup: init, policy, agent add, check all succeed"

mkdir "$WORK/pristine"
cp -a "$D" "$WORK/pristine/gw"
cp -a "$CRED" "$WORK/pristine/alice.cred"

restore() {
	rm -rf "$D" "$CRED"
	cp -a "$WORK/pristine/gw" "$D"
	cp -a "$WORK/pristine/alice.cred" "$CRED"
}

# Line of the last line of FILE matching the extended regex RE (0: none).
line_of() {
	local n
	n=$(grep -n -E -- "$2" "$1" | tail -n 1 | cut -d: -f1)
	echo "${n:-0}"
}

# expect_error DESC RC FILE RE: the command failed with exit 1 (spa-admin) or
# any non-signal failure (spa-knock: RC "any"), and its stderr names FILE and
# the line matching RE.
expect_error() {
	local desc=$1 rc=$2 file=$3 re=$4 line
	line=$(line_of "$file" "$re")
	if [ "$line" = 0 ]; then
		nok "$desc: test bug: no line matches '$re' in $file"
	elif [ "$rc" = 0 ] || [ "$rc" -ge 128 ]; then
		show_err; nok "$desc: exit $rc, expected a failure"
	elif ! grep -qF -- "$file:$line: " "$ERR"; then
		show_err; nok "$desc: stderr does not name $file:$line"
	else
		ok "$desc ($(basename "$file"):$line)"
	fi
}

# bad_config DESC FILE RE SED-SCRIPT: edit FILE of a fresh tree with sed,
# then spa-admin check must exit 1 naming FILE and the line matching RE.
bad_config() {
	local desc=$1 file=$2 re=$3 script=$4 rc
	restore
	sed -i -e "$script" "$file"
	admin check
	rc=$?
	if [ "$rc" != 1 ]; then
		show_err; nok "$desc: check exited $rc, expected 1"
		return
	fi
	expect_error "$desc" "$rc" "$file" "$re"
}

# bad_cred DESC RE SED-SCRIPT: the same for alice's credential file and
# spa-knock (which must fail before sending anything).
bad_cred() {
	local desc=$1 re=$2 script=$3 rc
	restore
	sed -i -e "$script" "$CRED"
	"$KNOCK" --credentials "$CRED" --gateway 127.0.0.1:9 web >"$OUT" 2>"$ERR"
	rc=$?
	expect_error "$desc" "$rc" "$CRED" "$re"
}

G=$D/gateway.ini
P=$D/policy.ini
A=$D/agents.d/alice.ini

# --- gateway.ini ----------------------------------------------------------

bad_config "gateway.ini: unknown key" "$G" '^bogus_key' \
	'/^\[gateway\]/a bogus_key = 1'
bad_config "gateway.ini: port = 0x10" "$G" '^port = 0x10$' \
	's/^port = .*/port = 0x10/'
bad_config "gateway.ini: port = 70000" "$G" '^port = 70000$' \
	's/^port = .*/port = 70000/'
bad_config "gateway.ini: missing interface" "$G" '^\[gateway\]' \
	'/^interface = /d'
bad_config "gateway.ini: bad allow rule" "$G" '^allow = ' \
	'$a [firewall]\nallow = 10.0.0.0/8 tcp/99999'
KP=$(awk -F' *= *' '$1 == "port" {print $2}' "$G")
bad_config "gateway.ini: allow on the knock port" "$G" '^allow = ' \
	"\$a [firewall]\\nallow = 10.0.0.0/8 tcp/22, 10.0.0.0/8 udp/$KP"
grep -q "udp/$KP is the knock port" "$ERR" ||
	nok "gateway.ini: allow on the knock port: the error does not say why"

# --- policy.ini -----------------------------------------------------------

bad_config "policy.ini: unknown section" "$P" '^\[bogus:x\]' \
	'$a [bogus:x]\nproto = tcp'
bad_config "policy.ini: unknown key" "$P" '^colour = ' \
	'/^\[resource:web\]/a colour = blue'
bad_config "policy.ini: missing proto" "$P" '^\[resource:web\]' \
	'/^proto = /d'
bad_config "policy.ini: bad port range" "$P" '^port = 9000-8000$' \
	's/^port = 8080$/port = 9000-8000/'
bad_config "policy.ini: dangling resource in an enclave" "$P" '^resources = ' \
	's/^resources = web$/resources = web, nosuch/'
bad_config "policy.ini: duplicate section" "$P" '^\[resource:web\]' \
	'$a [resource:web]\nproto = udp\nport = 53'
bad_config "policy.ini: max_duration 0" "$P" '^max_duration = 0$' \
	's/^max_duration = .*/max_duration = 0/'
bad_config "policy.ini: a line with no '='" "$P" '^just some words$' \
	'/^\[enclave:ops\]/a just some words'

# --- agents.d/NAME.ini ----------------------------------------------------

bad_config "agent file: bad base64 key" "$A" '^public_key = ' \
	's|^public_key = .*|public_key = not*base64|'
bad_config "agent file: unknown enclave" "$A" '^enclaves = ' \
	's/^enclaves = .*/enclaves = nosuch/'
bad_config "agent file: bad expires" "$A" '^expires = ' \
	's/^expires = .*/expires = tomorrow/'
bad_config "agent file: unknown key" "$A" '^colour = ' \
	'$a colour = blue'

# check reports every bad agent file, not only the first.
restore
sed -i 's/^expires = .*/expires = never/' "$A"
printf '[agent]\npublic_key = short\n' >"$D/agents.d/bob.ini"
admin check
rc=$?
if [ "$rc" = 1 ] && grep -qF "$A:$(line_of "$A" '^expires')" "$ERR" &&
    grep -qF "$D/agents.d/bob.ini:2: " "$ERR"; then
	ok "check reports both of two bad agent files"
else
	show_err; nok "check reports both of two bad agent files (exit $rc)"
fi

# --- credential file (spa-knock) ------------------------------------------

restore
chmod 0644 "$CRED"
"$KNOCK" --credentials "$CRED" --gateway 127.0.0.1:9 web >"$OUT" 2>"$ERR"
rc=$?
if [ "$rc" != 0 ] && [ "$rc" -lt 128 ] && grep -qF "$CRED: " "$ERR" &&
    grep -q 'chmod 600' "$ERR"; then
	ok "credential file: mode 0644 refused, naming the file"
else
	show_err; nok "credential file: mode 0644 (exit $rc)"
fi
bad_cred "credential file: missing secret_key" '^\[agent\]' '/^secret_key = /d'
bad_cred "credential file: garbage line" '^%garbage' \
	'/^\[gateway\]/a %garbage without equals sign'
bad_cred "credential file: truncated key" '^secret_key = ' \
	's/^\(secret_key = .\{20\}\).*/\1/'

# --- spa-admin refusals ---------------------------------------------------

# expect_refused DESC CMD...: spa-admin exits 1 with a message.
expect_refused() {
	local desc=$1 rc
	shift
	"$@" >"$OUT" 2>"$ERR"
	rc=$?
	if [ "$rc" = 1 ] && [ -s "$ERR" ]; then
		ok "$desc"
	else
		show_err; nok "$desc (exit $rc, expected 1 and a message)"
	fi
}

# Snapshot of a directory tree: names, modes, sizes and contents.
snap() { (cd "$1" && find . -printf '%p %m %s\n' | sort && find . -type f -exec cat {} + ) | md5sum; }

restore
before=$(snap "$D")
expect_refused "init refuses an existing tree" \
	"$ADMIN" init --config-dir "$D" --interface lo --address 127.0.0.1
if [ "$(snap "$D")" = "$before" ]; then ok "init left the existing tree untouched"
else nok "init changed the existing tree"; fi

mkdir "$WORK/half"
cp -a "$D/identity.key" "$WORK/half/"
expect_refused "init refuses a directory holding identity.key" \
	"$ADMIN" init --config-dir "$WORK/half" --interface lo --address 127.0.0.1
if [ "$(ls -A "$WORK/half")" = identity.key ]; then ok "refused init created nothing"
else nok "refused init created: $(ls -A "$WORK/half" | tr '\n' ' ')"; fi

expect_refused "agent add refuses an existing name" \
	admin agent add alice --enclave ops --output "$WORK/again.cred"
if [ ! -e "$WORK/again.cred" ] && cmp -s "$A" "$WORK/pristine/gw/agents.d/alice.ini"
then ok "refused agent add wrote no credential file and kept alice.ini"
else nok "refused agent add left files behind or changed alice.ini"; fi

expect_refused "agent add refuses an unknown enclave" \
	admin agent add bob --enclave nosuch --output "$WORK/bob.cred"
if [ ! -e "$WORK/bob.cred" ] && [ ! -e "$D/agents.d/bob.ini" ]
then ok "refused agent add (unknown enclave) wrote nothing"
else nok "refused agent add (unknown enclave) left files behind"; fi

# A list flag with an empty item is a typo: refused, never skipped.
for bad in 'ops,,ops' 'ops,' ',ops' ' , ' ''; do
	expect_refused "agent add refuses --enclave '$bad'" \
		admin agent add bob --enclave "$bad" --output "$WORK/bob.cred"
	grep -q "bad --enclave '$bad': empty enclave name" "$ERR" ||
		{ show_err; nok "agent add --enclave '$bad': the error does not say why"; }
done
if [ ! -e "$WORK/bob.cred" ] && [ ! -e "$D/agents.d/bob.ini" ]
then ok "refused agent add (empty enclave) wrote nothing"
else nok "refused agent add (empty enclave) left files behind"; fi
for bad in 'lo,,dummy0' 'lo,' ',lo'; do
	expect_refused "init refuses --interface '$bad'" \
		"$ADMIN" init --config-dir "$WORK/fresh" --interface "$bad" \
		--address 127.0.0.1
done
if [ ! -e "$WORK/fresh" ]; then ok "refused init (empty interface) created nothing"
else nok "refused init (empty interface) created $WORK/fresh"; fi

expect_refused "agent add refuses a bad --expires" \
	admin agent add bob --expires tomorrow --output "$WORK/bob.cred"
expect_refused "agent add refuses a bad --label" \
	admin agent add bob --label 'Team=ops' --output "$WORK/bob.cred"
expect_refused "agent revoke of an unknown name fails" admin agent revoke nobody

for bad in '../x' 'A B'; do
	expect_refused "agent add refuses the name '$bad'" \
		admin agent add "$bad" --output "$WORK/x.cred"
	expect_refused "agent revoke refuses the name '$bad'" \
		admin agent revoke "$bad"
done
if [ ! -e "$WORK/x.cred" ] && [ ! -e "$D/x.ini" ] && [ ! -e "$D/agents.d/A B.ini" ]
then ok "refused names created no file"
else nok "a refused name created a file"; fi

"$ADMIN" --config-dir "$D" frobnicate >"$OUT" 2>"$ERR"
rc=$?
if [ "$rc" = 2 ] && grep -q '^usage:' "$ERR"; then ok "unknown verb: usage, exit 2"
else nok "unknown verb (exit $rc, expected 2 and usage)"; fi
"$ADMIN" --config-dir "$D" check --frobnicate >"$OUT" 2>"$ERR"
rc=$?
if [ "$rc" = 2 ] && grep -q '^usage:' "$ERR"; then ok "unknown option: usage, exit 2"
else nok "unknown option (exit $rc, expected 2 and usage)"; fi

# The positive side of revoke, so that refusing it above means something.
restore
admin agent revoke alice && admin agent list &&
    grep -qE '^alice +[0-9a-f]{16} +ops +team=ops +2099-01-01T00:00:00Z +revoked +-$' "$OUT" &&
    admin check
rc=$?
if [ "$rc" = 0 ]; then ok "agent revoke, then list shows alice revoked"
else show_err; nok "agent revoke / list (exit $rc)"; fi

summary
[ "$FAIL" -eq 0 ]
