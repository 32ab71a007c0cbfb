#!/bin/sh
# bench.sh RUNNER [SAMPLES [EXAMPLE_RUNNER ARGS...]]: runs the baremetal
# benchmark image and adds the host's view of its boot: from QEMU's launch
# to main's first line, and to QEMU's exit.  With EXAMPLE_RUNNER, also
# boots that example image with ARGS and reports the same two times plus
# the kernel's own (flexos.times: kernel entry to program entry, to exit).
# Targets: boot to main under 150 ms; gate <= 1.3x floor.
set -eu
ms_since() {
	echo $((($(date +%s%N) - $1) / 1000000))
}

# timed LABEL MARK RUNNER ARGS...: runs the image, printing its lines; the
# first line equal to MARK (or, when MARK is empty, the first line the
# program prints) is timed instead of printed.
timed() {
	label=$1 mark=$2
	shift 2
	start=$(date +%s%N)
	seen=""
	"$@" | while IFS= read -r line; do
		case $line in
		flexos:*) printf '%s\n' "$line" ;;
		*)
			if [ -z "$seen" ] && { [ -z "$mark" ] || [ "$line" = "$mark" ]; }; then
				seen=1
				echo "host: $label: QEMU launch to main $(ms_since "$start") ms"
			fi
			[ "$line" = "$mark" ] || printf '%s\n' "$line"
			;;
		esac
	done
	echo "host: $label: QEMU launch to exit $(ms_since "$start") ms"
}

runner=$1
samples=${2:-200}
# The floors write PKRU outside the runtime's gate (bench.c).
FLEXOS_KERNEL_ARGS=flexos.wrpkru=bench_floors timed bench main "$runner" "$samples"
if [ $# -gt 2 ]; then
	shift 2
	example=$(basename "$1" -run)
	FLEXOS_KERNEL_ARGS=flexos.times timed "$example" "" "$@" | grep -v '^  '
fi
