#!/bin/sh
# syscalls.sh SYSCALL_BENCH_RUN SYSCALL_BENCH: prints the table of what the
# system-call policy costs (syscall_bench_run.c), headed by the date, the
# kernel and the load.  The mpk image runs with emulated keys: the policy
# is the same with hardware keys, and this needs no PKU.
set -eu
if [ $# -ne 2 ]; then
	echo "usage: syscalls.sh SYSCALL_BENCH_RUN SYSCALL_BENCH" >&2
	exit 2
fi
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -r), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
FLEXOS_MPK=emu "$1" "$2"
