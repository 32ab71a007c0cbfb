#!/usr/bin/env bash
# check.sh EXPLORE CONF WORK [flexos-explore options...]
# Explores the image that CONF (a flexos_explore() explore.conf) describes,
# from scratch, into WORK, then checks what an exploration promises:
#   - results.csv has one row per configuration of the space;
#   - results.json is JSON; the plot (SVG, PNG) exists and labels every
#     measured point;
#   - each pruned configuration was announced, and the pruning rule's
#     check is reported;
#   - without PKU, the mpk-hw configurations are listed as skipped;
#   - a second run measures nothing new (finished points are kept), and
#     names the cheapest configuration at a given safety;
#   - a budget nothing meets is said plainly, with the nearest points.
set -u
explore=$1 conf=$2 work=$3
shift 3
fail() {
	echo "check.sh: FAIL: $*" >&2
	exit 1
}

rm -rf "$work"
mkdir -p "$work"
sed "s|^directory .*|directory $work|" "$conf" >"$work/explore.conf"
"$explore" "$work/explore.conf" "$@" --dry-run >"$work/dry-run.txt" ||
	fail "the dry run failed"
configurations=$(grep -c '^  ' "$work/dry-run.txt")

"$explore" "$work/explore.conf" "$@" >"$work/run1.txt" 2>&1
status=$?
cat "$work/run1.txt"
[ "$status" -eq 0 ] || fail "the exploration exited with status $status"
rows=$(($(wc -l <"$work/results.csv") - 1))
[ "$rows" -eq "$configurations" ] ||
	fail "results.csv has $rows rows for $configurations configurations"
for file in results.txt results.json plot.svg plot.png; do
	[ -s "$work/$file" ] || fail "no $file"
done

# What results.json says, as lines "<status> <id> <label>".
python3 - "$work/results.json" >"$work/points.txt" <<'PY' ||
import json, sys
for p in json.load(open(sys.argv[1]))["points"]:
    print(p["status"], p["id"], p["label"])
PY
	fail "results.json is not the expected JSON"
[ "$(wc -l <"$work/points.txt")" -eq "$configurations" ] ||
	fail "results.json does not list every configuration"
measured=0
while read -r status id label; do
	[ "$status" = measured ] || continue
	measured=$((measured + 1))
	grep -qF ">$label</tspan>" "$work/plot.svg" ||
		fail "plot.svg does not label the measured point '$label'"
done <"$work/points.txt"
[ "$measured" -gt 1 ] || fail "fewer than two points measured"

pruned=0
while read -r status id label; do
	[ "$status" = pruned ] || continue
	pruned=$((pruned + 1))
	grep -q "^flexos-explore: pruned $id: at least as safe as" "$work/run1.txt" ||
		fail "$id is pruned, but the run did not say so"
done <"$work/points.txt"
grep -q '^pruning rule .*: checked on [0-9]* measured configurations, failed on [0-9]*' \
	"$work/run1.txt" || fail "the pruning rule's check is not reported"
if ! grep -qw pku /proc/cpuinfo && grep -q '^  mpk-hw\.' "$work/dry-run.txt"; then
	grep -q '^mpk-hw\..*skipped.*no PKU' "$work/results.txt" ||
		fail "mpk-hw is not listed as skipped for want of PKU"
fi

"$explore" "$work/explore.conf" "$@" --min-safety 1 >"$work/run2.txt" 2>&1 ||
	fail "the second run failed"
grep -q "measured 0 new configurations" "$work/run2.txt" ||
	fail "the second run measured again: $(grep 'new configurations' "$work/run2.txt")"
grep -Eq "^cheapest at safety 1 or more: [^ ]+, [0-9.]+x fcall, safety [1-9]" \
	"$work/run2.txt" || fail "no cheapest configuration at safety 1 or more"

"$explore" "$work/explore.conf" "$@" --budget 0.01 --verify-pruned 0 \
	>"$work/impossible.txt" 2>&1 || fail "the run with budget 0.01 failed"
grep -q "no configuration that keeps units apart meets the budget of 0.01x fcall; the nearest:" \
	"$work/impossible.txt" || fail "a budget nothing meets is not said plainly"
grep -A1 "the nearest:" "$work/impossible.txt" | grep -q 'x, safety' ||
	fail "no nearest point given"
grep -q "measured 0 new configurations" "$work/impossible.txt" ||
	fail "the run with another budget measured again"
echo "check.sh: ok ($configurations configurations, $measured measured, $pruned pruned)"
