#!/bin/sh
# release.sh PREFIX WORK GENERATOR COMPILER BACKEND: builds the consumer
# project (consumer/) against the installed FlexOS in PREFIX for BACKEND,
# with a sharing policy (share-heap main), installs it
# (flexos_install_image) into WORK/release-BACKEND/installed, with its ISO
# on baremetal, then deletes the build tree and the policy file: what the
# tests then run is the release alone.
set -eu
prefix=$1 work=$2 generator=$3 compiler=$4 backend=$5
source=$(cd "$(dirname "$0")/consumer" && pwd)
dir=$work/release-$backend
rm -rf "$dir"
mkdir -p "$dir"
echo "share-heap main" >"$dir/consumer.policy"
: >"$dir/empty.policy" # for the twin: a policy that shares nothing
step() {
	"$@" >>"$dir/log" 2>&1 || { cat "$dir/log"; exit 1; }
}
step cmake -S "$source" -B "$dir/build" -G "$generator" \
	-DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$compiler" \
	-DFLEXOS_BACKEND="$backend" -DCONSUMER_POLICY="$dir/consumer.policy"
step cmake --build "$dir/build"
if [ "$backend" = baremetal ]; then
	step cmake --build "$dir/build" --target consumer-iso
fi
step cmake --install "$dir/build" --prefix "$dir/installed"
rm -rf "$dir/build" "$dir/consumer.policy"
echo "release.sh: installed, build tree and policy file deleted:"
(cd "$dir/installed" && find . -type f | sort)
