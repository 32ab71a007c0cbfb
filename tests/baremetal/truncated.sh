#!/bin/sh
# truncated.sh RUN... --program PROGRAM: runs RUN... with the first half of
# PROGRAM only (its headers but not all of its code), as a corrupt image.
set -u
program=""
for last; do :; done
program=$last
dir=$(mktemp -d) || exit 2
trap 'rm -rf "$dir"' EXIT
size=$(wc -c <"$program")
head -c $((size < 6000 ? size / 2 : 6000)) "$program" >"$dir/truncated"
n=$#
i=0
for arg; do
	i=$((i + 1))
	if [ "$i" -lt "$n" ]; then
		set -- "$@" "$arg"
	fi
done
shift "$n"
"$@" "$dir/truncated"
