#!/bin/sh
# SPDX-License-Identifier: ISC
# Run each unit test program; print one closing "N passed, N failed" line
# counting programs. Unit tests that need root and netlink run in their own
# network namespace (unshare -n), so they never touch the host's firewall.
pass=0 fail=0
for t in "$@"; do
	case "$t" in
	*test_nft*) cmd="unshare -n $t" ;;
	*) cmd="$t" ;;
	esac
	if (cd "$(dirname "$0")/.." && $cmd); then
		pass=$((pass + 1))
	else
		echo "FAILED: $t"
		fail=$((fail + 1))
	fi
done
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
