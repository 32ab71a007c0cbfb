#!/bin/sh
# matrix.sh <prefix> <dir> <generator> <compiler> <types> [cmake options...]
# Configures matrix/ against the FlexOS installed in <prefix>, into <dir>,
# with <generator> and the C compiler <compiler>, and builds each build type
# of <types> (comma-separated).  A single-configuration generator takes one
# (CMAKE_BUILD_TYPE); a multi-configuration one builds them all in one tree,
# each in <dir>/<type>.
set -eu
if [ $# -lt 5 ]; then
	echo "usage: matrix.sh <prefix> <dir> <generator> <compiler> <types> [cmake options...]" >&2
	exit 2
fi
prefix=$1 dir=$2 generator=$3 compiler=$4 types=$5
shift 5
source=$(dirname "$0")/matrix
case $generator in
*Multi-Config) multi=1 ;;
*) multi= ;;
esac
if [ -z "$multi" ] && [ "${types#*,}" != "$types" ]; then
	echo "matrix.sh: generator '$generator' builds one type, not '$types'" >&2
	exit 2
fi
# Afresh: a stale cache would keep the last run's compiler.
rm -rf "$dir"
if [ -n "$multi" ]; then
	set -- "-DCMAKE_CONFIGURATION_TYPES=$(echo "$types" | tr , ';')" "$@"
else
	set -- "-DCMAKE_BUILD_TYPE=$types" "$@"
fi
cmake -S "$source" -B "$dir" -G "$generator" -DCMAKE_C_COMPILER="$compiler" \
	-DCMAKE_PREFIX_PATH="$prefix" "$@"
for type in $(echo "$types" | tr , ' '); do
	cmake --build "$dir" --config "$type" -j2
done
echo "matrix.sh: built $types"
