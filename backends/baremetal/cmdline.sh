# Sourced by run.sh and iso.sh: the kernel command line both hand over.
# (POSIX sh has no local variables: these functions set only `line`,
# `var` and `arg`.)
#
# kernel_cmdline ARGS...: prints the options of FLEXOS_KERNEL_ARGS, the
# FLEXOS_* variables of the environment (the program's environment; not
# FLEXOS_QEMU* nor FLEXOS_KERNEL_ARGS), "--" and the program's ARGS.  A
# word with spaces, or an empty one, is double-quoted: the kernel strips
# the quotes (backends/baremetal/kernel/main.c).
kernel_cmdline() {
	line=${FLEXOS_KERNEL_ARGS:-}
	for var in $(env | sed -n 's/^\(FLEXOS_[A-Za-z0-9_]*\)=.*/\1/p'); do
		case $var in
		FLEXOS_QEMU*|FLEXOS_KERNEL_ARGS) ;;
		*) eval "line=\"\$line $var=\${$var}\"" ;;
		esac
	done
	line="$line --"
	for arg in "$@"; do
		case $arg in
		*" "*|"") line="$line \"$arg\"" ;;
		*) line="$line $arg" ;;
		esac
	done
	printf '%s\n' "$line"
}

# is_file_argument ARG: whether ARG names a file that goes along as a
# module under that same name, so the program can open it.
is_file_argument() {
	[ -f "$1" ] && [ -r "$1" ]
}

# image_files FILES ARGS...: prints, one per line, the files that go along
# with the program: FILES (a newline-separated list, from --file), the
# sharing policy FLEXOS_POLICY names, and the arguments naming files.
image_files() {
	[ -z "$1" ] || printf '%s\n' "$1"
	shift
	if [ -n "${FLEXOS_POLICY:-}" ] && is_file_argument "$FLEXOS_POLICY"; then
		printf '%s\n' "$FLEXOS_POLICY"
	fi
	for arg in "$@"; do
		if is_file_argument "$arg"; then
			printf '%s\n' "$arg"
		fi
	done
}
