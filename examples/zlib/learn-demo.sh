#!/usr/bin/env bash
# learn-demo.sh BUILD_DIR UNPORTED LEARNED_PREFIX LEARNED LEARNED_TARGET
#
# Porting zlib-demo with learning mode, no human edit in between:
#   1. UNPORTED (gates generated, nothing shared) stops with a fault report;
#   2. a learning run of it writes LEARNED_PREFIX.{txt,json,policy};
#   3. the image LEARNED (target LEARNED_TARGET of BUILD_DIR), whose build
#      reads LEARNED_PREFIX.policy, is rebuilt with it and passes, still
#      isolated for everything else.
set -u
build=$1 unported=$2 prefix=$3 learned=$4 target=$5
export FLEXOS_MPK=emu
say() { printf '\n== %s\n' "$*"; }
fail() { echo "learn-demo: $*" >&2; exit 1; }

say "1. the unported image, enforcing"
"$unported"
status=$?
[ "$status" -eq 86 ] || fail "expected the fault report (86), got $status"

say "2. learning run (FLEXOS_LEARN=$prefix)"
FLEXOS_LEARN=$prefix "$unported" || fail "learning run failed ($?)"
cat "$prefix.txt"
printf '\nlearned policy:\n'
cat "$prefix.policy"
grep -q '^share-heap ' "$prefix.policy" || fail "nothing learned"

say "3. rebuild with the learned policy"
cmake --build "$build" --target "$target" >/dev/null ||
	fail "rebuild failed"

say "4. the learned image, enforcing"
"$learned" || fail "the learned image failed ($?)"
