#!/bin/sh
# run.sh --kernel KERNEL --program PROGRAM [--] [ARGS...]
#
# Boots PROGRAM (a static musl executable linked by flexos_image(...
# BACKEND baremetal)) on the FlexOS baremetal KERNEL under QEMU, prints
# what it prints, and exits with its exit status: the <target>-run script
# flexos_image() generates calls this.  ARGS become the program's
# arguments (on the kernel command line, after "--"); FLEXOS_* variables
# of the environment (but FLEXOS_QEMU*) become its environment.  An
# argument naming a readable file goes along (as a multiboot module) under
# that same name, so the program can open it: files are read-only.
#
#   FLEXOS_QEMU          QEMU to use (default: qemu-system-x86_64)
#   FLEXOS_QEMU_MEMORY   memory of the machine (default: 256M)
#   FLEXOS_QEMU_ARGS     more QEMU arguments
#   FLEXOS_KERNEL_ARGS   more kernel options (flexos.trace: log system calls)
#
# PROGRAM "none" boots the kernel alone (it must then say that it has
# nothing to run).  Exit status 125: QEMU could not run, or the machine stopped without an
# exit status (it never does by design: that would be a bug).
set -u
kernel="" program=""
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift 2 ;;
	--program) program=$2; shift 2 ;;
	--) shift; break ;;
	*) break ;;
	esac
done
if [ -z "$kernel" ] || [ -z "$program" ]; then
	echo "usage: run.sh --kernel KERNEL --program PROGRAM [--] [ARGS...]" >&2
	exit 125
fi
qemu=${FLEXOS_QEMU:-qemu-system-x86_64}
if ! command -v "$qemu" >/dev/null 2>&1; then
	echo "flexos-run: $qemu not found (apt-get install qemu-system-x86)" >&2
	exit 125
fi
module=""
if [ "$program" != none ]; then
	module=$(printf '%s' "$program" | sed 's/,/,,/g')
fi
for file in "$kernel" ${module:+"$program"}; do
	if [ ! -r "$file" ]; then
		echo "flexos-run: cannot read $file" >&2
		exit 125
	fi
done

# Kernel command line: options, environment, "--", arguments.  A word
# with spaces is double-quoted; the kernel strips the quotes.
cmdline=${FLEXOS_KERNEL_ARGS:-}
if [ -t 1 ]; then
	cmdline="$cmdline flexos.crlf"
fi
for var in $(env | sed -n 's/^\(FLEXOS_[A-Za-z0-9_]*\)=.*/\1/p'); do
	case $var in
	FLEXOS_QEMU*|FLEXOS_KERNEL_ARGS) ;;
	*) eval "cmdline=\"\$cmdline $var=\${$var}\"" ;;
	esac
done
cmdline="$cmdline --"
escape() { printf '%s' "$1" | sed 's/,/,,/g'; }
for arg in "$@"; do
	if [ -f "$arg" ] && [ -r "$arg" ] && [ -n "$module" ]; then
		module="$module,$(escape "$arg")"
	fi
	case $arg in
	*" "*|"") cmdline="$cmdline \"$arg\"" ;;
	*) cmdline="$cmdline $arg" ;;
	esac
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/flexos-run.XXXXXX") || exit 125
trap 'rm -rf "$dir"' EXIT
trap 'exit 130' INT TERM
# shellcheck disable=SC2086 # FLEXOS_QEMU_ARGS is a list of words
"$qemu" -accel tcg -cpu max -m "${FLEXOS_QEMU_MEMORY:-256M}" \
	-nodefaults -no-reboot -display none -serial stdio \
	-debugcon "file:$dir/status" \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	-kernel "$kernel" ${module:+-initrd "$module"} \
	-append "$cmdline" ${FLEXOS_QEMU_ARGS:-} </dev/null
qemu_status=$?
status=$(head -n 1 "$dir/status" 2>/dev/null)
case $status in
[0-9]*) exit "$status" ;;
esac
echo "flexos-run: the machine stopped without an exit status (QEMU exit" \
     "status $qemu_status)" >&2
exit 125
