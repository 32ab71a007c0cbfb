#!/usr/bin/env bash
# no-leftovers.sh IMAGE: the caller (the default compartment's process) is
# killed in the middle of a gate; the callee's process must go too.  Passes
# when the image dies by SIGKILL and the peer process it named is gone (or
# a zombie already handed to init, which is no longer ours) within 2 s.
set -u
output=$("$1" caller-killed 2>&1)
status=$?
printf '%s\n' "$output"
[ "$status" -eq 137 ] || { echo "no-leftovers: status $status, expected 137" >&2; exit 1; }
pid=$(printf '%s\n' "$output" | sed -n 's/^peer process \([0-9]*\)$/\1/p')
[ -n "$pid" ] || { echo "no-leftovers: the image did not name its peer process" >&2; exit 1; }
for _ in $(seq 20); do
	state=$(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
	if [ -z "$state" ] || [ "$state" = Z ]; then
		echo "peer process $pid is gone"
		exit 0
	fi
	sleep 0.1
done
echo "no-leftovers: peer process $pid is still running (state $state)" >&2
exit 1
