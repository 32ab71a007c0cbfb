#!/usr/bin/env bash
# loop.sh IMAGE SCENARIO WORKDIR REPORT_PATTERN POLICY_PATTERN...
#
# The porting loop of learning mode, on one scenario of IMAGE (mpk):
#   1. enforcing, no policy: the scenario stops with the fault report (86);
#   2. learning (FLEXOS_LEARN): it runs to the end (0) and leaves a report
#      matching REPORT_PATTERN and a policy with a line matching each
#      POLICY_PATTERN (extended regular expressions; the report is matched
#      as one line);
#   3. enforcing with the learned policy (FLEXOS_POLICY): it passes (0).
set -u
image=$1 scenario=$2 work=$3 report_pattern=$4
shift 4
export FLEXOS_MPK=emu
mkdir -p "$work"
prefix=$work/$scenario
rm -f "$prefix".*
fail() { echo "loop.sh: $*" >&2; exit 1; }

"$image" "$scenario" >/dev/null 2>&1
status=$?
[ "$status" -eq 86 ] || fail "without a policy: status $status, expected 86"
echo "1. enforcing without a policy: fault (86)"

FLEXOS_LEARN=$prefix "$image" "$scenario" || fail "learning run failed ($?)"
for suffix in txt json policy; do
	[ -s "$prefix.$suffix" ] || fail "learning run left no $prefix.$suffix"
done
cat "$prefix.txt"
tr '\n' ' ' < "$prefix.txt" | grep -Eq -- "$report_pattern" ||
	fail "report does not match: $report_pattern"
for policy_pattern; do
	grep -Eq -- "$policy_pattern" "$prefix.policy" ||
		fail "policy has no line matching: $policy_pattern"
done
grep -q '"complete": true' "$prefix.json" || fail "JSON report incomplete"
echo "2. learning: report and policy written"

FLEXOS_POLICY=$prefix.policy "$image" "$scenario" ||
	fail "with the learned policy: status $?, expected 0"
echo "3. enforcing with the learned policy: passes"
