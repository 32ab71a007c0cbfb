#!/usr/bin/env bash
# The allocator against the C library's: tests/bench/alloc.c built plain
# (glibc's malloc, the floor) and as an mpk image (a compartment's private
# heap, libflexos/heap.c), run by turns.  Medians of the workload's seconds
# and of the peak resident memory, and their ratios (target: time within
# 1.2x, memory no worse).
#
# alloc.sh PLAIN MPK [ROUNDS]
set -eu
plain=$1 mpk=$2 rounds=${3:-7}
median() { awk NF | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
field() { # field N of "alloc: S s, peak RSS K KiB ..."
	awk -v n="$1" '{ gsub(/,/, ""); print $n }'
}
declare -A seconds rss
for ((r = 0; r < rounds; r++)); do
	for name in plain mpk; do
		program=${!name}
		out=$(FLEXOS_MPK=emu "$program")
		seconds[$name]+="$(field 2 <<<"$out")"$'\n'
		rss[$name]+="$(field 6 <<<"$out")"$'\n'
	done
done
printf '# allocation-heavy workload, %d runs each by turns, medians\n' "$rounds"
printf '%-44s %10s %10s %8s %14s %8s\n' configuration seconds "RSS KiB" \
	"x time" "x memory" target
ps=$(median <<<"${seconds[plain]}") pr=$(median <<<"${rss[plain]}")
ms=$(median <<<"${seconds[mpk]}") mr=$(median <<<"${rss[mpk]}")
printf '%-44s %10s %10s %8s %14s %8s\n' "glibc malloc (floor: the program plain)" \
	"$ps" "$pr" 1.00x 1.00x ""
printf '%-44s %10s %10s %7.2fx %13.2fx %8s\n' "compartment heap (mpk image)" \
	"$ms" "$mr" "$(awk -v a="$ms" -v b="$ps" 'BEGIN { print a / b }')" \
	"$(awk -v a="$mr" -v b="$pr" 'BEGIN { print a / b }')" "<=1.2x"
