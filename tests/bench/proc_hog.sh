#!/usr/bin/env bash
# proc with a CPU hog on each core: the zlib example (Debian's libz.a in a
# compartment of its own, a 4 MiB round trip in 4 KiB chunks: one gate per
# chunk and call) on proc, beside the same program without FlexOS, run by
# turns while one busy loop per core competes for every CPU.  Medians of
# wall-clock seconds and their ratio (target: proc within 1.5x).
#
# proc_hog.sh PLAIN PROC [ROUNDS]
set -eu
plain=$1 proc=$2 rounds=${3:-7}
cores=$(nproc)
hogs=()
stop_hogs() { kill "${hogs[@]}" 2>/dev/null || true; }
trap stop_hogs EXIT
for ((i = 0; i < cores; i++)); do
	(while :; do :; done) &
	hogs+=($!)
done

seconds() { # runs "$@", prints its wall-clock seconds
	local start end
	start=$(date +%s%N)
	"$@" >/dev/null
	end=$(date +%s%N)
	awk -v ns=$((end - start)) 'BEGIN { printf "%.3f\n", ns / 1e9 }'
}
. "$(dirname "$0")/stats.sh"

plain_times=$(mktemp) proc_times=$(mktemp)
for ((r = 0; r < rounds; r++)); do
	seconds "$plain" >>"$plain_times"
	seconds "$proc" >>"$proc_times"
done
p=$(median <"$plain_times") q=$(median <"$proc_times")
rm -f "$plain_times" "$proc_times"
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -r), $cores CPUs, $cores busy loops, $rounds runs each by turns, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-44s %10s %10s %8s %8s\n' "zlib round trip with a hog on each core" "seconds" "floor" "ratio" "target"
awk -v q="$q" -v p="$p" 'BEGIN {
	printf "%-44s %10.3f %10.3f %7.2fx %8s\n",
	       "proc (floor: the program without FlexOS)", q, p, q / p, "<=1.5x" }'
