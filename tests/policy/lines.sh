#!/bin/sh
# lines.sh NM IMAGE COUNT: prints a sharing policy of COUNT share-heap
# lines, each naming a different function of IMAGE's symbol table (sized
# code symbols, clones such as foo.cold left out), `main` at line
# COUNT/2 + 1 and the others in name order.  For the start-up benchmark
# (tests/bench/policy.sh) and the policy tests: a policy whose every line
# names real code.
set -eu
if [ $# -ne 3 ]; then
	echo "usage: lines.sh NM IMAGE COUNT" >&2
	exit 2
fi
nm=$1 image=$2 count=$3
"$nm" -S --defined-only "$image" |
	awk 'NF == 4 && ($3 == "T" || $3 == "t") && $4 !~ /[.@]/ && $4 != "main" { print $4 }' |
	LC_ALL=C sort -u |
	awk -v count="$count" '
		{ names[NR] = $1 }
		END {
			if (NR < count - 1) {
				printf "lines.sh: only %d functions\n", NR > "/dev/stderr"
				exit 1
			}
			middle = int(count / 2) + 1
			i = 1
			for (line = 1; line <= count; line++)
				print "share-heap " (line == middle ? "main" : names[i++])
		}'
