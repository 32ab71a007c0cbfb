#!/bin/sh
# run.sh FCALL_BENCH MPK_BENCH PROC_BENCH [SYSCALL_BENCH_RUN SYSCALL_BENCH]:
# runs the bench image of each backend (mpk emulated with mprotect, and on
# hardware keys where the CPU has PKU) and prints their rows as one table,
# then their notes and the verdict against the targets; then, when given,
# the table of the system-call policy's cost (syscalls.sh).  Exits non-zero
# only when a program fails; missed targets are reported.
set -eu
if [ $# -ne 3 ] && [ $# -ne 5 ]; then
	echo "usage: run.sh FCALL_BENCH MPK_BENCH PROC_BENCH [SYSCALL_BENCH_RUN SYSCALL_BENCH]" >&2
	exit 2
fi
fcall=$("$1")
mpk=$(FLEXOS_MPK=emu "$2")
if grep -qw pku /proc/cpuinfo; then
	mpk=$(printf '%s\n%s\n' "$mpk" "$(FLEXOS_MPK=hw "$2")")
else
	mpk=$(printf '%s\n%s\n' "$mpk" "# mpk/hw: not measured: this CPU has no PKU (grep -w pku /proc/cpuinfo); tests/steps counts the gate's instructions in the QEMU guest instead")
fi
proc=$("$3")
all=$(printf '%s\n%s\n%s\n' "$fcall" "$mpk" "$proc")
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -r), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%s\n' "$fcall" | grep '^backend'
printf '%s\n' "$all" | grep -v -e '^backend' -e '^#'
echo
printf '%s\n' "$all" | grep '^#'
targets="fcall ~1x a plain call; mpk/emu <= 1.15x its floor; mpk/hw <= 1.3x a WRPKRU pair; proc <= 1.5x its floor and >= 50x faster than a pipe RPC"
if printf '%s\n' "$all" | grep -q ' FAIL'; then
	echo "# targets: MISSED ($targets)"
else
	echo "# targets: met ($targets)"
fi
if [ $# -eq 5 ]; then
	echo
	"$(dirname "$0")/syscalls.sh" "$4" "$5"
fi
