#!/bin/sh
# SPDX-License-Identifier: ISC
# check-symbols: each product object exports only its own file's prefix.
#
# usage: tests/check-symbols.sh BUILD_DIR
#
# For every source of the product (common/, rules/, gatewayd/,
# gatewayd/admin/, spa-client/; not tests/, bench/ or fuzz/) the objects built
# from it in BUILD_DIR, plain and position-independent (BUILD_DIR/pic/), may
# export only main, the file's base name, or BASE_*: foo.c exports foo and
# foo_*. Objects are found from the sources, so a stale object of a renamed
# file is not counted. In a pic object a symbol of default visibility is a
# shared library's interface rather than the file's: it must be exported by
# one of the libraries, and those are checked as a whole: libspa-client.so
# exports only spa_* (and its version nodes), libspa-shim.so only the libc
# functions it wraps. Exits 1 listing every stray symbol.

set -u

B=${1:?usage: tests/check-symbols.sh BUILD_DIR}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CLIENT_SO=$B/libspa-client.so
SHIM_SO=$B/libspa-shim.so
# What libspa-shim.so interposes (spa-client/shim.c).
SHIM_EXPORTS="connect"

nobj=0
nstray=0
nmissing=0

stray() {
	echo "$1: $2"
	nstray=$((nstray + 1))
}

for so in "$CLIENT_SO" "$SHIM_SO"; do
	if [ ! -f "$so" ]; then
		echo "check-symbols: missing $so (run make first)" >&2
		exit 2
	fi
done

# The dynamic exports of a shared library: "TYPE NAME" lines (NAME without
# the @VERSION that newer nm appends).
dyn_exports() {
	nm -D --defined-only "$1" | awk '{ sub(/@.*/, "", $NF); print $(NF - 1), $NF }'
}

LIB_EXPORTS=$( (dyn_exports "$CLIENT_SO"; dyn_exports "$SHIM_SO") |
	awk '{ print $2 }' | sort -u)

# Version nodes of the client library's map, e.g. SPA_CLIENT_1.
NODES=$(sed -n 's/^\([A-Za-z0-9_.]*\)[[:space:]]*{.*/\1/p' \
	"$ROOT/spa-client/libspa-client.map")

# check_obj OBJ PIC: OBJ's exported symbols against its base name.
check_obj() {
	obj=$1 pic=$2 base=${1##*/}
	base=${base%.o}
	rel=${obj#"$B"/}
	nobj=$((nobj + 1))
	lib=
	if [ "$pic" = 1 ]; then
		# readelf -sW: Num Value Size Type Bind Vis Ndx Name
		lib=$(readelf -sW "$obj" | awk '$5 != "LOCAL" &&
		    $6 == "DEFAULT" && $7 != "UND" && NF >= 8 { print $8 }')
	fi
	for sym in $(nm -g --defined-only "$obj" | awk '{ print $NF }'); do
		case $sym in
		main | "$base" | "$base"_*)
			continue ;;
		__odr_asan.*)
			continue ;;	# ASan's marker of an exported global
		esac
		if [ -n "$lib" ] && printf '%s\n' "$lib" | grep -qxF -- "$sym"; then
			printf '%s\n' "$LIB_EXPORTS" | grep -qxF -- "$sym" ||
				stray "$rel" "$sym (default visibility, exported by no library)"
			continue
		fi
		stray "$rel" "$sym"
	done
}

cd "$ROOT" || exit 2
for src in common/*.c rules/*.c gatewayd/*.c gatewayd/admin/*.c spa-client/*.c; do
	o=${src%.c}.o
	found=0
	if [ -f "$B/$o" ]; then
		check_obj "$B/$o" 0
		found=1
	fi
	if [ -f "$B/pic/$o" ]; then
		check_obj "$B/pic/$o" 1
		found=1
	fi
	if [ "$found" = 0 ]; then
		echo "check-symbols: no object for $src in $B (run make first)" >&2
		nmissing=$((nmissing + 1))
	fi
done

# The shared libraries' own exports.
nlib=0
for so in "$CLIENT_SO" "$SHIM_SO"; do
	nlib=$((nlib + 1))
	name=${so##*/}
	while read -r type sym; do
		[ -n "$sym" ] || continue
		case $name in
		libspa-client.so)
			case $sym in
			spa_*) continue ;;
			esac
			[ "$type" = A ] && printf '%s\n' "$NODES" | grep -qxF -- "$sym" &&
				continue ;;
		libspa-shim.so)
			for ok in $SHIM_EXPORTS; do
				[ "$sym" = "$ok" ] && continue 2
			done ;;
		esac
		stray "$name" "$sym"
	done <<EOF
$(dyn_exports "$so")
EOF
done

echo "symbols: $nobj objects, $nlib libraries, $nstray stray"
[ "$nstray" -eq 0 ] && [ "$nmissing" -eq 0 ]
