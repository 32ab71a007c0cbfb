#!/bin/sh
# grub.sh DIR KERNEL PROGRAM [ARGS...]: boots PROGRAM the way a real
# machine would, through GRUB 2: iso.sh writes a CD image with ARGS, run.sh
# boots it under QEMU.  Exits with the program's status, 77 (skip) when
# GRUB's tools are not installed.  DIR: backends/baremetal.
set -u
dir=$1 kernel=$2 program=$3
shift 3
if ! command -v grub-mkrescue >/dev/null 2>&1 || ! command -v xorriso >/dev/null 2>&1 ||
	[ ! -d /usr/lib/grub/i386-pc ]; then
	echo "grub: SKIP: grub-mkrescue, xorriso or grub-pc-bin missing"
	exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/flexos-grub.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
"$dir/iso.sh" --kernel "$kernel" --program "$program" --output "$work/image.iso" -- "$@" ||
	exit 1
"$dir/run.sh" --iso "$work/image.iso"
