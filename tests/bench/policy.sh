#!/bin/sh
# policy.sh NM POLICY_BENCH_RUN POLICY_BENCH: prints what applying a
# sharing policy costs at start-up (policy_bench_run.c), headed by the
# date, the kernel and the load: the image with no policy, with a policy
# of 1 share-heap line and with one of 100, each line naming a function of
# the image (tests/policy/lines.sh), and with the same 100 lines but the
# last naming no function (a stale entry, which warns).  The image runs
# with emulated keys (the policy is read the same way with hardware keys).
set -eu
if [ $# -ne 3 ]; then
	echo "usage: policy.sh NM POLICY_BENCH_RUN POLICY_BENCH" >&2
	exit 2
fi
nm=$1 run=$2 image=$3
lines=$(dirname "$0")/../policy/lines.sh
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
{ echo "# share-heap main"; "$lines" "$nm" "$image" 1; } >"$dir/1.policy"
{ echo "# 100 share-heap lines"; "$lines" "$nm" "$image" 100; } >"$dir/100.policy"
# The same with its last line a name of no function: a stale entry.
sed '$s/.*/share-heap no_such_function/; 1s/.*/# 100 share-heap lines, the last stale/' \
	"$dir/100.policy" >"$dir/stale.policy"
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -r), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
FLEXOS_MPK=emu "$run" "$image" "$dir/1.policy" "$dir/100.policy" "$dir/stale.policy"
