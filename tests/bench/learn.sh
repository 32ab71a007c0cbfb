#!/usr/bin/env bash
# What learning mode costs on a callback-heavy program (docs/benchmarks.md,
# decision 36): learn_bench.c, whose library calls back into the host once
# per token, run by turns
#   - as the fcall build (the floor: no isolation at all),
#   - enforcing on mpk (FLEXOS_MPK=emu here) with the policy it needs,
#   - learning on mpk (FLEXOS_LEARN, no policy), from a clean prefix;
# medians of each run's wall-clock seconds, start to exit.  Every learning
# run must write the policy line the enforcing runs use, or this fails.
# Target: learning <= 20x the enforcing run.  Exits non-zero only when a
# run fails; a missed target is reported.
#
# learn.sh FCALL MPK [CALLBACKS [ROUNDS]]   (defaults: 20000 callbacks, 3)
set -u
usage() { echo "usage: learn.sh FCALL MPK [CALLBACKS [ROUNDS]]" >&2; exit 2; }
[ $# -ge 2 ] && [ $# -le 4 ] || usage
fcall=$1 mpk=$2 callbacks=${3:-20000} rounds=${4:-3}
[[ $callbacks =~ ^[1-9][0-9]*$ ]] || { echo "learn.sh: CALLBACKS '$callbacks' is not a positive number" >&2; exit 2; }
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "learn.sh: ROUNDS '$rounds' is not a positive number" >&2; exit 2; }
line='share-heap learn_token_buffer'
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
echo "$line" >"$work/enforce.policy"
. "$(dirname "$0")/stats.sh"

# run NAME PROGRAM [ENV...]: one run, its wall-clock seconds appended to
# $work/NAME; a failed run stops the benchmark with its output.
run() {
	local name=$1 program=$2 start end status
	shift 2
	start=$(date +%s.%N)
	env "$@" "$program" "$callbacks" >"$work/out" 2>&1
	status=$?
	if [ "$status" -ne 0 ]; then
		echo "learn.sh: the $name run of $program failed (status $status):" >&2
		cat "$work/out" >&2
		exit 1
	fi
	end=$(date +%s.%N)
	awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f\n", b - a }' >>"$work/$name"
}

for ((r = 0; r < rounds; r++)); do
	run fcall "$fcall"
	run normal "$mpk" FLEXOS_MPK=emu FLEXOS_POLICY="$work/enforce.policy"
	rm -f "$work/learned".*
	run learning "$mpk" FLEXOS_MPK=emu FLEXOS_LEARN="$work/learned"
	if ! grep -qx "$line" "$work/learned.policy" 2>/dev/null; then
		echo "learn.sh: the learning run did not write '$line' to its policy:" >&2
		cat "$work/learned.policy" "$work/learned.txt" >&2 2>/dev/null
		exit 1
	fi
done

f=$(median <"$work/fcall") n=$(median <"$work/normal") l=$(median <"$work/learning")
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -r), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $callbacks callbacks, $rounds runs each by turns, medians of each run's seconds"
if grep -qw pku /proc/cpuinfo; then keys="mpk/emu"; else keys="mpk/emu, no PKU"; fi
printf '%-40s %10s %12s %12s %8s\n' run seconds "x normal" "x fcall" target
printf '%-40s %10s %12s %12s %8s\n' "fcall (floor: no isolation)" "$f" - 1.00x ""
printf '%-40s %10s %12s %12s %8s\n' "normal ($keys, learned policy)" "$n" 1.00x "$(ratio "$n" "$f")" ""
verdict=$(awk -v a="$l" -v b="$n" 'BEGIN { print (a <= 20 * b) ? "PASS" : "FAIL" }')
printf '%-40s %10s %12s %12s %8s\n' "learning ($keys, FLEXOS_LEARN)" "$l" \
	"$(ratio "$l" "$n")" "$(ratio "$l" "$f")" "<=20x $verdict"
echo "# learning wrote: $line"
