#!/usr/bin/env bash
# faults.sh EXPLORE CONF WORK [flexos-explore options...]
# An exploration that goes wrong on the way, into WORK:
#   - the benchmark fails in one configuration (the second one measured):
#     that point is marked failed, its output kept, the others measured;
#   - the exploration is interrupted after its first point: the next run
#     takes up where it stopped without measuring that point again.
set -u
explore=$1 conf=$2 work=$3
shift 3
fail() {
	echo "faults.sh: FAIL: $*" >&2
	exit 1
}

rm -rf "$work"
mkdir -p "$work"
sed "s|^directory .*|directory $work|" "$conf" >"$work/original.conf"
"$explore" "$work/original.conf" "$@" --dry-run >"$work/dry-run.txt" ||
	fail "the dry run failed"
# The points in the order they are measured (the baseline comes first).
mapfile -t ids < <(sed -n 's/^  \([^ ]*\) .* pending$/\1/p' "$work/dry-run.txt")
[ "${#ids[@]}" -ge 4 ] || fail "fewer than three points to measure"
victim=${ids[2]}
# The benchmark: the image itself, but a failure in the victim's directory.
{
	grep -v '^benchmark ' "$work/original.conf"
	printf 'benchmark %s\n' sh -c \
		'case "$0" in */points/'"$victim"'/*) echo "failing on purpose"; exit 3;; esac; exec "$0"' \
		@IMAGE@
} >"$work/explore.conf"

# Interrupted once the first point after the baseline has its result.
setsid "$explore" "$work/explore.conf" "$@" >"$work/interrupted.txt" 2>&1 &
pid=$!
first="$work/points/${ids[1]}/result"
for _ in $(seq 600); do
	[ -e "$first" ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.2
done
[ -e "$first" ] || fail "no result for ${ids[1]} after two minutes"
kill -TERM -- -"$pid" 2>/dev/null
wait "$pid"
grep -q "building and running ${ids[1]}" "$work/interrupted.txt" ||
	fail "the first run did not start with ${ids[1]}"
grep -q "new configurations" "$work/interrupted.txt" &&
	fail "the first run ended before it could be interrupted"

"$explore" "$work/explore.conf" "$@" >"$work/resumed.txt" 2>&1
status=$?
cat "$work/resumed.txt"
[ "$status" -eq 0 ] || fail "the resumed exploration exited with $status"
grep -q "building and running ${ids[1]} " "$work/resumed.txt" &&
	fail "the resumed run measured ${ids[1]} again"
grep -Eq "measured [0-9]+ new configurations \(([1-9]|[1-9][0-9]+) finished earlier\)" \
	"$work/resumed.txt" || fail "the resumed run found nothing finished"

grep -q "^$victim,.*,failed,.*benchmark exited with status 3" "$work/results.csv" ||
	fail "$victim is not marked failed with the benchmark's status"
grep -q "failing on purpose" "$work/points/$victim/stats.log" ||
	fail "the failing benchmark's output was not kept"
measured=$(grep -c ',measured,' "$work/results.csv")
[ "$measured" -ge 3 ] || fail "the exploration did not go on after the failure"
echo "faults.sh: ok ($victim failed, $measured measured, resumed after ${ids[1]})"
