#!/bin/sh
# port.sh PREFIX CLANG WORK GENERATOR TRUST BACKEND...: ports
# tests/archives/archives.c's five archives (port/CMakeLists.txt) the way
# docs/porting.md says, in Release, each library the sandbox of the
# program (TRUST sandboxed) or neither trusting the other (TRUST mutual):
# build with no policy, run every case
# in learning mode (each run adds to one policy), then build an image of
# each BACKEND with that policy, retargeted with -DFLEXOS_BACKEND alone,
# into WORK/BACKEND, and install it into WORK/BACKEND-installed.  The
# tests then run the installed images, which carry their policy.
set -eu
prefix=$1 clang=$2 work=$3 generator=$4 trust=$5
shift 5
case $trust in
sandboxed) sandboxed=ON ;;
mutual) sandboxed=OFF ;;
*) echo "port.sh: TRUST is sandboxed or mutual, not '$trust'" >&2; exit 2 ;;
esac
source=$(cd "$(dirname "$0")/port" && pwd)
build() { # build DIR BACKEND [POLICY]
	cmake -S "$source" -B "$work/$1" -G "$generator" \
		-DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$clang" \
		-DCMAKE_BUILD_TYPE=Release -DPORT_SANDBOXED="$sandboxed" \
		-DFLEXOS_BACKEND="$2" -DPORT_POLICY="${3-}" >"$work/$1.log" 2>&1 ||
		{ cat "$work/$1.log"; exit 1; }
	cmake --build "$work/$1" >>"$work/$1.log" 2>&1 ||
		{ cat "$work/$1.log"; exit 1; }
}
rm -rf "$work"
mkdir -p "$work"
build unported mpk
for case in bzip2 yaml pcre2 jpeg zstd; do
	FLEXOS_MPK=emu FLEXOS_LEARN="$work/learned" \
		"$work/unported/archives" "$case" >"$work/learn-$case.log" 2>&1 ||
		{ cat "$work/learn-$case.log"; exit 1; }
done
echo "port.sh: the policy learning wrote:"
cat "$work/learned.policy"
for backend; do
	build "$backend" "$backend" "$work/learned.policy"
	cmake --install "$work/$backend" --prefix "$work/$backend-installed" \
		>>"$work/$backend.log" 2>&1 || { cat "$work/$backend.log"; exit 1; }
done
echo "port.sh: $* images built with it and installed"
