#!/usr/bin/env bash
# The allocator against the C library's: tests/bench/alloc.c built plain
# (glibc's malloc, the floor) and as an mpk image (a compartment's private
# heap, libflexos/heap.c), run by turns.  Medians of the workload's
# seconds, of the resident memory at its start, of the peak, and of the
# growth from start to peak; ratios of time and of growth (targets: time
# within 1.2x, memory no worse).  The growth is what each allocator took
# for the same work; the peak also holds the image's start-up (libraries
# and tables an allocator cannot shrink), so its ratio is shown beside.
#
# alloc.sh PLAIN MPK [ROUNDS]
set -eu
plain=$1 mpk=$2 rounds=${3:-7}
. "$(dirname "$0")/stats.sh"
field() { # field N of "alloc: S s, peak RSS P KiB, grown G KiB from R KiB ..."
	awk -v n="$1" '{ gsub(/,/, ""); print $n }'
}
declare -A seconds start peak grown
for ((r = 0; r < rounds; r++)); do
	for name in plain mpk; do
		program=${!name}
		out=$(FLEXOS_MPK=emu "$program")
		seconds[$name]+="$(field 2 <<<"$out")"$'\n'
		peak[$name]+="$(field 6 <<<"$out")"$'\n'
		grown[$name]+="$(field 9 <<<"$out")"$'\n'
		start[$name]+="$(field 12 <<<"$out")"$'\n'
	done
done
printf '# allocation-heavy workload, %d runs each by turns, medians; KiB resident\n' "$rounds"
row='%-40s %8s %9s %9s %9s %7s %8s %7s %7s\n'
printf "$row" configuration seconds "at start" peak grown "x time" "x grown" "x peak" target
ps=$(median <<<"${seconds[plain]}") pb=$(median <<<"${start[plain]}")
pp=$(median <<<"${peak[plain]}") pg=$(median <<<"${grown[plain]}")
ms=$(median <<<"${seconds[mpk]}") mb=$(median <<<"${start[mpk]}")
mp=$(median <<<"${peak[mpk]}") mg=$(median <<<"${grown[mpk]}")
printf "$row" "glibc malloc (floor: the program plain)" "$ps" "$pb" "$pp" "$pg" \
	1.00x 1.00x 1.00x ""
printf "$row" "compartment heap (mpk image)" "$ms" "$mb" "$mp" "$mg" \
	"$(ratio "$ms" "$ps")" "$(ratio "$mg" "$pg")" "$(ratio "$mp" "$pp")" "<=1.2x"
