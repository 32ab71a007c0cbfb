#!/bin/sh
# valgrind.sh [VALGRIND OPTIONS...] PROGRAM [ARGS...]
# Runs the program under valgrind (memcheck), without core files of its
# own (vgcore.*) when the program crashes.  Where valgrind is not installed
# the test is skipped (exit 77; expect.sh passes it on): it is a tool of
# the developer's, which scripts/install-deps.sh installs.
if ! command -v valgrind >/dev/null 2>&1; then
	echo "valgrind.sh: SKIP: valgrind is not installed"
	exit 77
fi
ulimit -c 0
exec valgrind "$@"
