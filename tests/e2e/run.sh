#!/bin/bash
# SPDX-License-Identifier: ISC
# Run the end-to-end tests: every tests/e2e/NN-*.sh in order, or the ones
# named as arguments (a path, a file name or its number: "02"). Each script
# builds and removes its own network namespaces (see lib.sh). Prints every
# script's output, its result, and a final "e2e: N passed, N failed" line
# counting scripts; exits non-zero if any failed.

cd "$(dirname "$0")" || exit 1
SCRIPT_TIMEOUT=${SPA_E2E_TIMEOUT:-300}

scripts=()
if [ $# -eq 0 ]; then
	for f in [0-9][0-9]-*.sh; do [ -e "$f" ] && scripts+=("$f"); done
else
	for a in "$@"; do
		a=${a##*/}
		if [ -f "$a" ]; then scripts+=("$a")
		else
			m=$(ls "$a"-*.sh "$a"*.sh 2>/dev/null | head -n 1)
			if [ -n "$m" ]; then scripts+=("$m"); else scripts+=("$a"); fi
		fi
	done
fi

pass=0
fail=0
results=()
for s in "${scripts[@]}"; do
	echo "=== $s"
	if [ ! -f "$s" ]; then
		echo "no such test: $s"
		rc=127
	else
		# TERM first so the script's trap cleans up; KILL if it hangs.
		timeout -k 90 "$SCRIPT_TIMEOUT" bash "./$s"
		rc=$?
		[ "$rc" -eq 124 ] && echo "$s: timed out after ${SCRIPT_TIMEOUT}s"
	fi
	if [ "$rc" -eq 0 ]; then
		pass=$((pass + 1)); results+=("PASS  $s")
	else
		fail=$((fail + 1)); results+=("FAIL  $s (exit $rc)")
	fi
	echo
done

for r in "${results[@]}"; do echo "$r"; done
echo "e2e: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
