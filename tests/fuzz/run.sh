#!/bin/sh
# SPDX-License-Identifier: ISC
# Run the libFuzzer targets built into FUZZDIR (tests/fuzz/fuzz.mk).
#
#   run.sh fuzz|check SECONDS FUZZDIR TARGET...
#
# For each target: replay every input of tests/fuzz/regress/TARGET/ (each one
# crashed once and was fixed), then fuzz for SECONDS from a scratch copy of
# tests/fuzz/corpus/TARGET/ in FUZZDIR (the repo's corpus is only read).
# "fuzz" keeps its scratch corpus across runs (FUZZDIR/work/TARGET), "check"
# starts afresh each time. Crashes land in FUZZDIR/crashes/TARGET/, logs in
# FUZZDIR/logs/. One line per target, then "fuzz: N passed, N failed".
set -u
mode=$1 secs=$2 dir=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mkdir -p "$dir" && cd "$dir" && pwd)
mkdir -p "$dir/tmp" "$dir/logs"
export TMPDIR="$dir/tmp"
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
[ -x /usr/lib/llvm-14/bin/llvm-symbolizer ] && export ASAN_SYMBOLIZER_PATH="${ASAN_SYMBOLIZER_PATH:-/usr/lib/llvm-14/bin/llvm-symbolizer}"
pass=0 fail=0

for t in "$@"; do
	bin="$dir/fuzz_$t"
	log="$dir/logs/$t.log"
	crashes="$dir/crashes/$t"
	if [ "$mode" = check ]; then
		work="$dir/check/$t"
		rm -rf "$work"
	else
		work="$dir/work/$t"
	fi
	mkdir -p "$work" "$crashes"
	: >"$log"
	if [ ! -x "$bin" ]; then
		echo "fuzz: $t: FAILED (not built: $bin)"
		fail=$((fail + 1))
		continue
	fi
	# Regression inputs first: each must run clean.
	regress=$(ls "$here/regress/$t/"* 2>/dev/null)
	nreg=0
	if [ -n "$regress" ]; then
		nreg=$(echo "$regress" | wc -l)
		# shellcheck disable=SC2086
		if ! "$bin" $regress >>"$log" 2>&1; then
			echo "fuzz: $t: FAILED (a regression input crashes again; see $log)"
			grep -m 3 -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|fuzz: oracle)' "$log" | sed 's/^/      /'
			fail=$((fail + 1))
			continue
		fi
	fi
	[ -d "$here/corpus/$t" ] && cp -n "$here/corpus/$t/"* "$work/" 2>/dev/null
	extra=
	[ -f "$here/dict/$t.dict" ] && extra="-dict=$here/dict/$t.dict"
	case $t in
	engine) extra="$extra -max_len=16384" ;;
	esac
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$secs" -timeout=25 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix="$crashes/" $extra \
	    "$work" >>"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	ncorp=$(ls "$work" | wc -l)
	if [ "$rc" -eq 0 ]; then
		echo "fuzz: $t: ok, ${secs}s, ${runs:-?} runs (${rate:-?}/s), corpus $ncorp, regress $nreg"
		pass=$((pass + 1))
	else
		art=$(ls -t "$crashes" 2>/dev/null | head -n 1)
		echo "fuzz: $t: FAILED (exit $rc) after ${runs:-?} runs; input: $crashes/$art; log: $log"
		echo "      reproduce: $bin $crashes/$art"
		grep -m 3 -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|fuzz: oracle)' "$log" | sed 's/^/      /'
		fail=$((fail + 1))
	fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
