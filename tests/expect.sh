#!/usr/bin/env bash
# expect.sh STATUS PATTERN -- COMMAND [ARGS...]
# Runs COMMAND and passes when it exits with STATUS and its combined output
# matches the extended regular expression PATTERN (matched against the
# output as one line, so ".*" may span lines).  Prints the output either
# way, so a failing test shows what the program said.
set -u
if [ $# -lt 4 ] || [ "$3" != "--" ]; then
	echo "usage: expect.sh STATUS PATTERN -- COMMAND [ARGS...]" >&2
	exit 2
fi
want_status=$1 pattern=$2
shift 3
output=$("$@" 2>&1)
status=$?
printf '%s\n' "$output"
# run-in-guest.sh: the guest could not be set up, valgrind.sh: valgrind is
# not installed; tell CTest to skip.
if [ "$status" -eq 77 ] && printf '%s\n' "$output" | grep -Eq '^(run-in-guest|valgrind\.sh): SKIP'; then
	exit 77
fi
if [ "$status" -ne "$want_status" ]; then
	echo "expect.sh: exit status $status, expected $want_status" >&2
	exit 1
fi
if ! printf '%s\n' "$output" | tr '\n' ' ' | grep -Eq -- "$pattern"; then
	echo "expect.sh: output does not match: $pattern" >&2
	exit 1
fi
