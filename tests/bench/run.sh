#!/bin/sh
# run.sh FCALL_BENCH MPK_BENCH: runs the bench image of each backend (mpk
# emulated with mprotect, as on machines without PKU) and prints their rows
# as one table, then their notes and the verdict against the targets.
# Exits non-zero only when a program fails; missed targets are reported.
set -eu
if [ $# -ne 2 ]; then
	echo "usage: run.sh FCALL_BENCH MPK_BENCH" >&2
	exit 2
fi
fcall=$("$1")
mpk=$(FLEXOS_MPK=emu "$2")
all=$(printf '%s\n%s\n' "$fcall" "$mpk")
printf '%s\n' "$fcall" | grep '^backend'
printf '%s\n' "$all" | grep -v -e '^backend' -e '^#'
echo
printf '%s\n' "$all" | grep '^#'
if printf '%s\n' "$all" | grep -q ' FAIL$'; then
	echo "# targets: MISSED (fcall ~1x a plain call; mpk/emu <= 1.15x its floor)"
else
	echo "# targets: met (fcall ~1x a plain call; mpk/emu <= 1.15x its floor)"
fi
