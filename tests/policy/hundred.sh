#!/bin/sh
# hundred.sh NM IMAGE DIR -- COMMAND...: a sharing policy of 100
# share-heap lines naming functions of IMAGE (lines.sh), `share-heap main`
# at line 51 and a name of no function at line 70, applied to the scenario
# read-heap (COMMAND read-heap, with FLEXOS_POLICY set): the peer reads
# what main allocated.  Passes when the run does, printing that, with
# exactly one warning, the stale entry's, naming line 70; and when the same
# run with main's line commented out stops with the fault report (86), so
# that it is main's line among the hundred that shares the memory.
set -u
if [ $# -lt 5 ] || [ "$4" != "--" ]; then
	echo "usage: hundred.sh NM IMAGE DIR -- COMMAND..." >&2
	exit 2
fi
nm=$1 image=$2 dir=$3
shift 4
mkdir -p "$dir" || exit 1
policy=$dir/hundred.policy
"$(dirname "$0")/lines.sh" "$nm" "$image" 100 |
	sed '70s/.*/share-heap no_such_function/' >"$policy" || exit 1
if [ "$(sed -n 51p "$policy")" != "share-heap main" ] ||
	[ "$(grep -c '^share-heap ' "$policy")" -ne 100 ]; then
	echo "hundred.sh: not the policy meant:" >&2
	cat "$policy" >&2
	exit 1
fi

output=$(FLEXOS_POLICY=$policy "$@" read-heap 2>&1)
status=$?
printf '%s\n' "$output"
warnings=$(printf '%s\n' "$output" | grep -c 'warning: policy')
fail() {
	echo "hundred.sh: $*" >&2
	exit 1
}
[ "$status" -eq 0 ] || fail "exit status $status, expected 0"
printf '%s\n' "$output" | grep -q 'peer read heap: 55' ||
	fail "the peer did not read main's heap memory"
[ "$warnings" -eq 1 ] || fail "$warnings warnings, expected 1"
printf '%s\n' "$output" | grep -q "warning: policy $policy:70: no code for 'no_such_function'; stale entry?" ||
	fail "no warning for line 70"

sed '51s/^/# /' "$policy" >"$dir/without-main.policy" || exit 1
output=$(FLEXOS_POLICY=$dir/without-main.policy "$@" read-heap 2>&1)
status=$?
printf '%s\n' "$output" | grep 'isolation fault\|peer read heap'
[ "$status" -eq 86 ] ||
	fail "without main's line: exit status $status, expected 86"
echo "hundred.sh: 100 lines, one stale (line 70), main's shared"
