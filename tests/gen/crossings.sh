#!/usr/bin/env bash
# crossings.sh CASE BACKEND GEN IMAGE CONF WORK
# The runtime's crossings file and flexos-gen -k, end to end, on the gen
# fixture image (host calls lib_apply and lib_value once each; lib calls
# the host's callback twice through a pointer, once):
#   roundtrip   FLEXOS_CROSSINGS=file: the image writes the counts (none on
#               fcall, whose gates are plain calls), flexos-gen -k puts
#               them on report.dot's edges;
#   off         without it no file appears;
#   unwritable  a file that cannot be written stops the image before it
#               runs, exit 87;
#   stats-sum   (IMAGE and CONF of any image, zlib-demo in the tests) the
#               counts of each caller add up to the crossings FLEXOS_STATS
#               prints for it (on proc, each compartment's process its
#               own: the counters are shared), and every line of the file
#               is on report.dot's edges.
set -u
case_=$1 backend=$2 gen=$3 image=$4 conf=$5 work=$6/$2-$1
rm -rf "$work" && mkdir -p "$work"
fail() { echo "crossings.sh: $backend $case_: $*" >&2; exit 1; }
has() { grep -Fq -- "$2" "$1" || fail "$1 lacks: $2"; }
export FLEXOS_MPK=emu

case $case_ in
roundtrip)
	FLEXOS_CROSSINGS=$work/crossings.txt "$image" > "$work/out" 2>&1 ||
		fail "image failed: $(cat "$work/out")"
	cat "$work/out"
	has "$work/out" "42 7"
	[ "$(ls "$work")" = "crossings.txt
out" ] || fail "files left: $(ls "$work")"
	cat "$work/crossings.txt"
	[ "$(sed -n 1,2p "$work/crossings.txt")" = "flexos-crossings 1
image host" ] || fail "bad header"
	if [ "$backend" = fcall ]; then
		[ "$(wc -l < "$work/crossings.txt")" -eq 2 ] ||
			fail "fcall counted crossings"
		has "$work/out" "backend fcall counts no crossing (its gates are plain calls)"
		n=0 s=s
	else
		for line in "host lib_apply 1" "host lib_value 1"; do
			grep -qx "$line" "$work/crossings.txt" || fail "no '$line'"
		done
		grep -Eqx "lib (twice|flexos_autogate_impl__twice__[0-9]+) 1" \
			"$work/crossings.txt" || fail "callback not counted"
		[ "$(wc -l < "$work/crossings.txt")" -eq 5 ] ||
			fail "other crossings counted"
		n=1 s=
	fi
	"$gen" analyze -q -c "$conf" -o "$work/report.txt" \
		-k "$work/crossings.txt" || fail "flexos-gen -k failed"
	cat "$work/report.dot"
	has "$work/report.dot" "\"c0\" -> \"l1\" [label=\"lib_apply\\n$n crossing$s\""
	has "$work/report.dot" "\"c0\" -> \"l1\" [label=\"lib_value\\n$n crossing$s\""
	if [ "$backend" != fcall ]; then
		has "$work/report.dot" '"c1" -> "l0" [label="twice\n1 crossing", style=dashed'
	fi
	;;
off)
	(cd "$work" && "$image") > "$work/../$backend-off.out" 2>&1 ||
		fail "image failed"
	[ -z "$(ls "$work")" ] || fail "files written: $(ls "$work")"
	grep -q "FLEXOS_CROSSINGS" "$work/../$backend-off.out" &&
		fail "said something about crossings"
	;;
unwritable)
	FLEXOS_CROSSINGS=$work/no/such/dir/c.txt "$image" > "$work/out" 2>&1
	status=$?
	cat "$work/out"
	[ "$status" -eq 87 ] || fail "exit status $status, expected 87"
	has "$work/out" "FLEXOS_CROSSINGS='$work/no/such/dir/c.txt': cannot write the file in directory '$work/no/such/dir'"
	grep -q "42 7" "$work/out" && fail "the image ran"
	;;
stats-sum)
	FLEXOS_STATS=1 FLEXOS_CROSSINGS=$work/crossings.txt "$image" \
		> "$work/out" 2>&1 || fail "image failed: $(cat "$work/out")"
	cat "$work/crossings.txt"
	grep "flexos: stats:" "$work/out"
	lines=$(grep -c "flexos: stats:" "$work/out")
	[ "$lines" -ge 2 ] || fail "no stats lines"
	total=0
	while read -r comp stat; do
		sum=$(awk -v c="$comp" 'NR > 2 && $1 == c { s += $3 } END { print s + 0 }' \
			"$work/crossings.txt")
		echo "compartment $comp: stats $stat, file $sum"
		[ "$sum" = "$stat" ] || fail "compartment $comp: file says $sum, stats $stat"
		total=$((total + stat))
	done < <(sed -nE "s/^flexos: stats: compartment '([^']+)':.*; crossings ([0-9]+)$/\1 \2/p" "$work/out")
	[ "$total" -gt 1000 ] || fail "only $total crossings: not the run expected"
	"$gen" analyze -q -c "$conf" -o "$work/report.txt" \
		-k "$work/crossings.txt" || fail "flexos-gen -k failed"
	tail -n +3 "$work/crossings.txt" | while read -r caller entry n; do
		grep -Fq "[label=\"$entry\\n$n crossing" "$work/report.dot" ||
			fail "report.dot lacks $entry's $n crossings"
	done || exit 1
	;;
*)
	fail "unknown case" ;;
esac
echo "crossings.sh: $backend $case_: ok"
