#!/bin/sh
# iso.sh --kernel KERNEL --program PROGRAM --output ISO [--file FILE]...
#        [--] [ARGS...]
#
# Writes a bootable CD/USB image (grub-mkrescue: BIOS boot, hybrid ISO)
# that boots PROGRAM on the FlexOS baremetal KERNEL with GRUB 2's
# multiboot loader, as a real machine boots it.  ARGS and the FLEXOS_*
# variables of the environment are handed over as run.sh hands them (see
# cmdline.sh): the image holds them.  An argument naming a readable file
# is copied into the image and loaded as a module under that same name, as
# are each FILE of --file and the file FLEXOS_POLICY names.
# Nothing is written unless the whole image is: ISO appears complete or
# not at all.  `run.sh --iso ISO` boots it under QEMU.
#
# Needs grub-mkrescue (grub-common), GRUB's BIOS modules (grub-pc-bin)
# and xorriso.
set -eu
usage="usage: iso.sh --kernel KERNEL --program PROGRAM --output ISO [--file FILE]... [--] [ARGS...]"
kernel="" program="" output="" files=""
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=${2-}; shift 2 ;;
	--program) program=${2-}; shift 2 ;;
	--output) output=${2-}; shift 2 ;;
	--file) files="$files${files:+
}${2-}"; shift 2 ;;
	--) shift; break ;;
	*) break ;;
	esac
done
fail() {
	echo "flexos-iso: $*" >&2
	exit 1
}
[ -n "$kernel" ] && [ -n "$program" ] && [ -n "$output" ] || fail "$usage"
for file in "$kernel" "$program"; do
	[ -r "$file" ] || fail "cannot read $file"
done
[ -d /usr/lib/grub/i386-pc ] ||
	fail "GRUB's BIOS modules not found (apt-get install grub-pc-bin)"
for tool in grub-mkrescue xorriso; do
	command -v $tool >/dev/null 2>&1 ||
		fail "$tool not found (apt-get install grub-common xorriso)"
done
. "$(dirname "$0")/cmdline.sh"

# grub.cfg reads words the way a shell does: refuse what it would
# interpret rather than hand the program something else.  A word with
# spaces, double-quoted by kernel_cmdline, is one word for GRUB, which
# quotes it again for the kernel.
for arg in "$@"; do
	[ -n "$arg" ] || fail "cannot hand an empty argument through GRUB"
done
grub_word() {
	case $1 in
	*[\\\$\'\;\&\|\<\>\{\}\#\`\"]*|*"  "*)
		fail "cannot put '$1' on GRUB's command line (no \\ \$ ' \" ; & | < > { } # \` or repeated spaces)" ;;
	esac
}
for word in "$@" "${FLEXOS_KERNEL_ARGS:-}" $(env | sed -n 's/^\(FLEXOS_[A-Za-z0-9_]*=.*\)/\1/p'); do
	grub_word "$word"
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/flexos-iso.XXXXXX")
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/root/boot/grub" "$dir/root/files"
cp "$kernel" "$dir/root/boot/flexos-baremetal-kernel"
cp "$program" "$dir/root/boot/program"
name=$(basename "$program")
cmdline=$(kernel_cmdline "$@")
{
	echo "# Written by iso.sh: boots '$name' on the FlexOS baremetal kernel."
	echo "set timeout=0"
	echo "menuentry \"FlexOS $name\" {"
	echo "	multiboot /boot/flexos-baremetal-kernel $cmdline"
	echo "	module /boot/program /boot/$name"
	n=0
	while IFS= read -r file; do
		[ -z "$file" ] && continue
		[ -r "$file" ] || fail "cannot read $file"
		grub_word "$file"
		n=$((n + 1))
		cp "$file" "$dir/root/files/$n"
		echo "	module /files/$n $file"
	done <<EOF
$(image_files "$files" "$@")
EOF
	echo "}"
} >"$dir/root/boot/grub/grub.cfg"
grub-mkrescue -o "$dir/image.iso" "$dir/root" >"$dir/log" 2>&1 ||
	fail "grub-mkrescue failed: $(cat "$dir/log")"
mv "$dir/image.iso" "$output"
