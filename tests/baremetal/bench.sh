#!/bin/sh
# bench.sh RUNNER [SAMPLES]: runs the baremetal benchmark image and adds the
# host's view of its boot: from QEMU's launch to main's first line, and to
# QEMU's exit.  Targets: boot to main under 150 ms; gate <= 1.3x floor.
set -eu
start=$(date +%s%N)
main_ms=""
"$1" "${2:-200}" | while IFS= read -r line; do
	if [ "$line" = main ] && [ -z "$main_ms" ]; then
		main_ms=$((($(date +%s%N) - start) / 1000000))
		echo "host: QEMU launch to main $main_ms ms"
	else
		printf '%s\n' "$line"
	fi
done
echo "host: QEMU launch to exit $((($(date +%s%N) - start) / 1000000)) ms"
