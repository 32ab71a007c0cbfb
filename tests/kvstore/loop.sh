#!/bin/sh
# loop.sh PREFIX WORK GENERATOR COMPILER SPLIT BACKEND...: the porting
# loop of docs/porting.md on kvtool (program/), with no hand edit, against
# the FlexOS installed in PREFIX, in Release, with SPLIT_STACKS when SPLIT
# is ON (COMPILER clang):
#   1. built on mpk with no policy, it stops at its first fault (86);
#   2. a learning run per script adds to one policy, WORK/learned.policy;
#   3. built with that policy for each BACKEND (-DFLEXOS_BACKEND alone),
#      installed into WORK/BACKEND/installed; the build trees and the
#      policy file are then deleted (kept as learned.policy.txt): the
#      tests run what is installed, which carries its policy.
set -eu
prefix=$1 work=$2 generator=$3 compiler=$4 split=$5
shift 5
source=$(cd "$(dirname "$0")/program" && pwd)
scripts="$source/basic.kv $source/errors.kv"
export FLEXOS_MPK=emu
step() { # step LOG COMMAND...: runs it, its output in LOG, shown on failure
	log=$1
	shift
	"$@" >>"$log" 2>&1 || { cat "$log"; echo "loop.sh: failed: $*"; exit 1; }
}
build() { # build NAME BACKEND [POLICY]
	step "$work/$1.log" cmake -S "$source" -B "$work/$1/build" \
		-G "$generator" -DCMAKE_BUILD_TYPE=Release \
		-DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$compiler" \
		-DKVTOOL_SPLIT_STACKS="$split" -DFLEXOS_BACKEND="$2" \
		-DKVTOOL_POLICY="${3-}"
	step "$work/$1.log" cmake --build "$work/$1/build"
}
rm -rf "$work"
mkdir -p "$work"

build unported mpk
status=0
"$work/unported/build/kvtool" $scripts >"$work/unported.run" 2>&1 || status=$?
if [ "$status" -ne 86 ]; then
	cat "$work/unported.run"
	echo "loop.sh: without a policy: exit $status, expected 86"
	exit 1
fi
echo "loop.sh: 1. no policy: the first fault (86):"
grep -m1 'isolation fault' "$work/unported.run"

for script in $scripts; do
	FLEXOS_LEARN=$work/learned step "$work/learn.log" \
		"$work/unported/build/kvtool" "$script"
done
echo "loop.sh: 2. the policy the learning runs wrote:"
cat "$work/learned.policy"

for backend; do
	build "$backend" "$backend" "$work/learned.policy"
	step "$work/$backend.log" cmake --install "$work/$backend/build" \
		--prefix "$work/$backend/installed"
done
for backend; do
	rm -rf "$work/$backend/build"
done
rm -rf "$work/unported"
mv "$work/learned.policy" "$work/learned.policy.txt"
echo "loop.sh: 3. $* images built with it and installed"
