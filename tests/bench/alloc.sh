#!/usr/bin/env bash
# The allocator against the C library's: tests/bench/alloc.c built plain
# (glibc's malloc, the floor) and as an mpk image (a compartment's private
# heap, libflexos/heap.c), run by turns.  Medians of the workload's
# wall-clock seconds and processor seconds, of the resident memory at its
# start, of the peak, and of the growth from start to peak; ratios of
# time and of growth (targets: within 1.2x of glibc's processor time,
# memory no worse).  Processor time is the target's measure: on a shared
# machine the wall clock adds the time a run waited for a CPU, which is
# the scheduler's share, not the allocator's, and differs from run to run
# by more than the allocators do.  The growth is what each allocator took
# for the same work; the peak also holds the image's start-up (libraries
# and tables an allocator cannot shrink), so its ratio is shown beside.
#
# alloc.sh PLAIN MPK [ROUNDS]
set -eu
plain=$1 mpk=$2 rounds=${3:-7}
. "$(dirname "$0")/stats.sh"
field() { # field N of "alloc: S s, cpu C s, peak RSS P KiB, grown G KiB from R KiB ..."
	awk -v n="$1" '{ gsub(/,/, ""); print $n }'
}
declare -A seconds cpu start peak grown
for ((r = 0; r < rounds; r++)); do
	for name in plain mpk; do
		program=${!name}
		out=$(FLEXOS_MPK=emu "$program")
		seconds[$name]+="$(field 2 <<<"$out")"$'\n'
		cpu[$name]+="$(field 5 <<<"$out")"$'\n'
		peak[$name]+="$(field 9 <<<"$out")"$'\n'
		grown[$name]+="$(field 12 <<<"$out")"$'\n'
		start[$name]+="$(field 15 <<<"$out")"$'\n'
	done
done
printf '# allocation-heavy workload, %d runs each by turns, medians; KiB resident; load average %s\n' \
	"$rounds" "$(cut -d' ' -f1-3 /proc/loadavg)"
row='%-40s %8s %8s %9s %9s %9s %7s %7s %8s %7s %7s\n'
printf "$row" configuration seconds "cpu s" "at start" peak grown "x time" "x cpu" "x grown" "x peak" target
for name in plain mpk; do
	for figure in seconds cpu start peak grown; do
		declare -n values=$figure
		declare "${name}_$figure=$(median <<<"${values[$name]}")"
		unset -n values
	done
done
printf "$row" "glibc malloc (floor: the program plain)" "$plain_seconds" \
	"$plain_cpu" "$plain_start" "$plain_peak" "$plain_grown" \
	1.00x 1.00x 1.00x 1.00x ""
printf "$row" "compartment heap (mpk image)" "$mpk_seconds" "$mpk_cpu" \
	"$mpk_start" "$mpk_peak" "$mpk_grown" \
	"$(ratio "$mpk_seconds" "$plain_seconds")" "$(ratio "$mpk_cpu" "$plain_cpu")" \
	"$(ratio "$mpk_grown" "$plain_grown")" "$(ratio "$mpk_peak" "$plain_peak")" "<=1.2x"
echo "# target: x cpu (processor time) <= 1.2x and x grown <= 1.00x; x time is the wall clock, waits for a CPU included"
