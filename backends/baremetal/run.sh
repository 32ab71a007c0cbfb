#!/bin/sh
# run.sh --kernel KERNEL --program PROGRAM [--file FILE]... [--] [ARGS...]
# run.sh --iso ISO
#
# Boots PROGRAM (a static musl executable linked by flexos_image(...
# BACKEND baremetal)) on the FlexOS baremetal KERNEL under QEMU, prints
# what it prints, and exits with its exit status: the <target>-run script
# flexos_image() generates calls this.  ARGS become the program's
# arguments (on the kernel command line, after "--"); FLEXOS_* variables
# of the environment (but FLEXOS_QEMU*) become its environment.  An
# argument naming a readable file goes along (as a multiboot module) under
# that same name, so the program can open it: files are read-only.  So do
# each FILE of --file and the file FLEXOS_POLICY names.
#
# With --iso, QEMU boots a CD image made by iso.sh instead: GRUB loads the
# kernel, the program and its files, with the arguments the image holds.
#
#   FLEXOS_QEMU          QEMU to use (default: qemu-system-x86_64)
#   FLEXOS_QEMU_MEMORY   memory of the machine (default: 256M)
#   FLEXOS_QEMU_ARGS     more QEMU arguments
#   FLEXOS_KERNEL_ARGS   more kernel options (flexos.trace: log system calls)
#
# PROGRAM "none" boots the kernel alone (it must then say that it has
# nothing to run).  Exit status 125: QEMU could not run, or the machine
# stopped without an exit status (it never does by design: that would be a
# bug).
set -u
usage="usage: run.sh --kernel KERNEL --program PROGRAM [--file FILE]... [--] [ARGS...] | --iso ISO"
kernel="" program="" iso="" files=""
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=${2-}; shift 2 ;;
	--program) program=${2-}; shift 2 ;;
	--file) files="$files${files:+
}${2-}"; shift 2 ;;
	--iso) iso=${2-}; shift 2 ;;
	--) shift; break ;;
	*) break ;;
	esac
done
qemu=${FLEXOS_QEMU:-qemu-system-x86_64}
if ! command -v "$qemu" >/dev/null 2>&1; then
	echo "flexos-run: $qemu not found (apt-get install qemu-system-x86)" >&2
	exit 125
fi
readable() {
	for file in "$@"; do
		if [ ! -r "$file" ]; then
			echo "flexos-run: cannot read $file" >&2
			exit 125
		fi
	done
}

if [ -n "$iso" ] && [ -z "$kernel$program" ] && [ $# -eq 0 ]; then
	readable "$iso"
	set -- -cdrom "$iso" -boot d
elif [ -n "$kernel" ] && [ -n "$program" ] && [ -z "$iso" ]; then
	. "$(dirname "$0")/cmdline.sh"
	escape() { printf '%s' "$1" | sed 's/,/,,/g'; }
	modules=""
	if [ "$program" != none ]; then
		readable "$program"
		modules=$(escape "$program")
		list=$(image_files "$files" "$@")
		while IFS= read -r file; do
			[ -z "$file" ] && continue
			readable "$file"
			modules="$modules,$(escape "$file")"
		done <<EOF
$list
EOF
	fi
	readable "$kernel"
	cmdline=$(kernel_cmdline "$@")
	if [ -t 1 ]; then
		cmdline="flexos.crlf $cmdline"
	fi
	set -- -kernel "$kernel" ${modules:+-initrd "$modules"} -append "$cmdline"
else
	echo "$usage" >&2
	exit 125
fi

# The fault report names code by address ("(ip 0x...)", "#1  0x..."): the
# program's debug information gives the source line, as libdw does on
# Linux.  Output passes through unchanged otherwise, line by line.
with_sources() {
	if [ -z "$program" ] || [ "$program" = none ] ||
	   ! command -v addr2line >/dev/null 2>&1; then
		cat
		return
	fi
	awk -v program="$program" '
	function number(hex,   i, n) {
		n = 0
		for (i = 3; i <= length(hex); i++)
			n = n * 16 + index("0123456789abcdef", substr(hex, i, 1)) - 1
		return n
	}
	function source(address, back,   command, line) {
		if (back) # a return address: the call is the byte before
			address = sprintf("0x%x", number(address) - 1)
		command = "addr2line -e \"" program "\" " address
		line = ""
		command | getline line
		close(command)
		return line ~ /^\?\?/ || line ~ /:0$/ || line ~ /:\?$/ ? "" : line
	}
	/^flexos:   #[0-9]+ +0x[0-9a-f]+ / {
		split($0, field, " ")
		line = source(field[3], field[2] != "#0")
		if (line != "")
			$0 = $0 " (" line ")"
	}
	/^flexos: .*\(ip 0x[0-9a-f]+\)/ {
		match($0, /\(ip 0x[0-9a-f]+\)/)
		address = substr($0, RSTART + 4, RLENGTH - 5)
		line = source(address, 0)
		if (line != "")
			$0 = substr($0, 1, RSTART - 1) "(" line ", ip " address ")" substr($0, RSTART + RLENGTH)
	}
	{ print; fflush() }'
}

dir=$(mktemp -d "${TMPDIR:-/tmp}/flexos-run.XXXXXX") || exit 125
trap 'rm -rf "$dir"' EXIT
trap 'exit 130' INT TERM
# shellcheck disable=SC2086 # FLEXOS_QEMU_ARGS is a list of words
{
	"$qemu" -accel tcg -cpu max -m "${FLEXOS_QEMU_MEMORY:-256M}" \
		-nodefaults -no-reboot -display none -serial stdio \
		-debugcon "file:$dir/status" \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		"$@" ${FLEXOS_QEMU_ARGS:-} </dev/null
	echo $? >"$dir/qemu"
} | with_sources
qemu_status=$(cat "$dir/qemu" 2>/dev/null)
status=$(head -n 1 "$dir/status" 2>/dev/null)
case $status in
[0-9]*) exit "$status" ;;
esac
echo "flexos-run: the machine stopped without an exit status (QEMU exit" \
     "status $qemu_status)" >&2
exit 125
