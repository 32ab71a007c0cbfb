#!/usr/bin/env bash
# graph.sh CASE GEN WORK CONF
# flexos-gen's compartment graph (report.dot, report.svg), the crossing
# counts of -k, verbosity, and each bad crossings file: an error naming the
# file and line, exit 1, and the reports of the run before left as they
# were (nothing half-written, no temporary file left behind).
set -u
case_=$1 gen=$2 work=$3/$1 conf=$4
rm -rf "$work" && mkdir -p "$work"
out=$work/out
fail() { echo "graph.sh: $case_: $*" >&2; exit 1; }
has() { grep -Fq -- "$2" "$1" || fail "$1 lacks: $2"; }
lacks() { ! grep -Fq -- "$2" "$1" || fail "$1 has: $2"; }

crossings() { # crossings FILE LINES...: a crossings file of image 'host'
	local f=$1
	shift
	printf 'flexos-crossings 1\nimage host\n' > "$f"
	printf '%s\n' "$@" >> "$f"
}

bad() { # bad EXPECTED-MESSAGE: the crossings file is refused
	"$gen" analyze -c "$conf" -o "$out/report.txt" -q || fail "good run failed"
	cp -r "$out" "$work/before"
	"$gen" analyze -c "$conf" -o "$out/report.txt" -k "$work/c.txt" \
		> "$work/log" 2>&1
	status=$?
	cat "$work/log"
	[ "$status" -eq 1 ] || fail "exit status $status, expected 1"
	grep -Eq -- "$1" "$work/log" || fail "no message matching: $1"
	diff -r "$work/before" "$out" || fail "outputs changed"
}

case $case_ in
static)
	command -v dot > /dev/null || { echo "graph.sh: SKIP: no dot"; exit 77; }
	"$gen" analyze -c "$conf" -o "$out/report.txt" -q || fail "run failed"
	has "$out/report.txt" "graph: report.dot, report.svg"
	has "$out/report.dot" 'subgraph "cluster_0"'
	has "$out/report.dot" 'label="compartment host (default)"'
	has "$out/report.dot" 'label="compartment lib"'
	has "$out/report.dot" '"c0" -> "l1" [label="lib_apply"];'
	has "$out/report.dot" '"c0" -> "l1" [label="lib_value"];'
	lacks "$out/report.dot" "crossing"
	has "$out/report.svg" "<svg"
	has "$out/report.svg" "lib_apply"
	;;
counts)
	crossings "$work/c.txt" "host lib_apply 3" "# a comment" "" \
		"lib twice 12345" "host lib_apply 4" \
		"lib flexos_autogate_impl__twice__1 5"
	"$gen" analyze -c "$conf" -o "$out/report.txt" -k "$work/c.txt" -q ||
		fail "run failed"
	cat "$out/report.dot"
	has "$out/report.dot" '"c0" -> "l1" [label="lib_apply\n7 crossings", penwidth=1'
	has "$out/report.dot" '"c0" -> "l1" [label="lib_value\n0 crossings"'
	# The callback: no static reference from lib, taken at run time.
	has "$out/report.dot" '"c1" -> "l0" [label="twice\n12350 crossings", style=dashed'
	has "$out/report.dot" 'penwidth=5, weight=5'
	has "$out/report.txt" "gate crossings counted at run time ($work/c.txt)"
	grep -A1 "gate crossings counted" "$out/report.txt" |
		grep -q "lib -> host: twice 12350" || fail "hottest gate not first"
	;;
merged)
	# Past FLEXOS_GEN_GRAPH_EDGES gates (150 unless set), one edge per
	# pair of nodes, naming its entries, hottest first.
	crossings "$work/c.txt" "host lib_value 9" "host lib_apply 2" "lib twice 1"
	FLEXOS_GEN_GRAPH_EDGES=2 "$gen" analyze -c "$conf" -o "$out/report.txt" \
		-k "$work/c.txt" -q || fail "run failed"
	cat "$out/report.dot"
	has "$out/report.dot" "// 3 gates, more than 2: one edge per pair of nodes"
	has "$out/report.dot" '"c0" -> "l1" [label="2 entries: lib_value 9, lib_apply 2\n11 crossings", penwidth=2'
	has "$out/report.dot" '"c1" -> "l0" [label="1 entry: twice 1\n1 crossing"'
	[ "$(grep -c -- '->' "$out/report.dot")" -eq 2 ] || fail "not 2 edges"
	FLEXOS_GEN_GRAPH_EDGES=3 "$gen" analyze -c "$conf" -o "$out/report.txt" \
		-k "$work/c.txt" -q || fail "run failed"
	[ "$(grep -c -- '->' "$out/report.dot")" -eq 3 ] || fail "merged at the limit"
	;;
no-dot)
	PATH=/nonexistent "$gen" analyze -c "$conf" -o "$out/report.txt" -q ||
		fail "run failed"
	has "$out/report.txt" "graph: report.dot (report.svg skipped: graphviz's dot is not on PATH)"
	[ -f "$out/report.dot" ] || fail "no report.dot"
	[ ! -e "$out/report.svg" ] || fail "report.svg written without dot"
	;;
verbosity)
	"$gen" analyze -q -v -c "$conf" > "$work/log" 2>&1
	[ $? -eq 2 ] || fail "-q -v: not exit 2"
	has "$work/log" "-q (quiet) and -v (verbose) exclude each other"
	"$gen" analyze -v -c "$conf" -o "$out/report.txt" 2> "$work/v" ||
		fail "-v run failed"
	has "$work/v" "flexos-gen: deciding gates and sharing"
	has "$work/v" "flexos-gen: wrote $out/report.txt"
	"$gen" analyze -c "$conf" -o "$out/report.txt" 2> "$work/d" ||
		fail "default run failed"
	has "$work/d" "warning:"
	lacks "$work/d" "deciding gates"
	"$gen" analyze -q -c "$conf" -o "$out/report.txt" 2> "$work/q" ||
		fail "-q run failed"
	[ ! -s "$work/q" ] || fail "-q printed: $(cat "$work/q")"
	# Progress on long runs: the first line after FLEXOS_GEN_PROGRESS_MS
	# (2 s unless set), none with -q.
	FLEXOS_GEN_PROGRESS_MS=1 "$gen" analyze -c "$conf" \
		-o "$out/report.txt" 2> "$work/p" || fail "progress run failed"
	has "$work/p" "flexos-gen: still working ("
	FLEXOS_GEN_PROGRESS_MS=1 "$gen" analyze -q -c "$conf" \
		-o "$out/report.txt" 2> "$work/pq" || fail "progress -q failed"
	[ ! -s "$work/pq" ] || fail "-q printed progress"
	;;
bad-magic)
	printf 'flexos-crossing 1\nimage host\nhost lib_apply 3\n' > "$work/c.txt"
	bad "$work/c.txt:1: error: not a crossings file: the first line must be 'flexos-crossings 1'" ;;
bad-image)
	printf 'flexos-crossings 1\nimage zlib_demo\nhost lib_apply 3\n' > "$work/c.txt"
	bad "$work/c.txt:2: error: crossings of image 'zlib_demo', but this is image 'host'" ;;
bad-line)
	crossings "$work/c.txt" "host lib_apply 3" "host lib_apply 3x"
	bad "$work/c.txt:4: error: expected 'CALLER ENTRY COUNT' .*got 'host lib_apply 3x'" ;;
bad-entry)
	crossings "$work/c.txt" "host lib_apply 3" "host lib_missing 3"
	bad "$work/c.txt:4: error: unknown entry 'lib_missing'" ;;
bad-caller)
	crossings "$work/c.txt" "libz lib_apply 3"
	bad "$work/c.txt:3: error: unknown caller compartment 'libz' \\(image 'host' has 'host', 'lib'\\)" ;;
*)
	fail "unknown case" ;;
esac
ls -a "$out" | grep -q 'tmp' && fail "temporary file left: $(ls -a "$out")"
echo "graph.sh: $case_: ok"
