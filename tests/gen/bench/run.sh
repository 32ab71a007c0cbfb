#!/usr/bin/env bash
# run.sh GEN WORK NFUNCS MIB -- ZLIB_PLAIN ZLIB_FCALL ZLIB_MPK ZLIB_PROC CONF...
# flexos-gen benchmarks, printed as a table:
#  1. flexos-gen run time (analysis, rewrite, reports) on the example
#     configurations given and on a generated program of NFUNCS functions
#     in 8 compartments (target: under 2 s for 10,000);
#  2. a zlib round trip of MIB MiB in 4 KiB chunks (a gate per library
#     call) unisolated, on fcall, on mpk (emulated keys) and on proc,
#     measured in the same run, as ratios to the unisolated program.
set -eu
gen=$1 work=$2 nfuncs=$3 mib=$4
shift 5
plain=$1 fcall=$2 mpk=$3 proc=$4
shift 4
here=$(cd "$(dirname "$0")" && pwd)
cc=${CC:-cc}
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

rm -rf "$work" && mkdir -p "$work"
python3 "$here/genprog.py" "$work/prog" "$nfuncs" 8
for c in 0 1 2 3 4 5 6 7; do
	"$cc" -c -O1 -fPIE "$work/prog/c$c.c" -o "$work/prog/c$c.o" &
done
wait
for c in 1 2 3 4 5 6 7; do
	ar rcs "$work/prog/libc$c.a" "$work/prog/c$c.o"
done

printf '%-44s %10s\n' "flexos-gen run (analyse, rewrite, report)" "seconds"
for conf in "$@" "$work/prog/gen.conf"; do
	name=$(basename "$(dirname "$conf")")/$(basename "$conf")
	[ "$conf" = "$work/prog/gen.conf" ] && name="generated: $nfuncs functions, 8 compartments"
	t0=$(now)
	"$gen" analyze -q -c "$conf" -o "$work/report.txt" -j "$work/report.json" \
		-d "$work/out" > /dev/null
	t1=$(now)
	printf '%-44s %10s\n' "$name" "$(secs "$t0" "$t1")"
done
echo "(generated program: $(grep -o '"function"' "$work/report.json" | wc -l) functions named in the report)"

echo
printf '%-32s %10s %8s\n' "zlib round trip, $mib MiB, 4 KiB chunks" "seconds" "ratio"
base=""
for variant in unisolated:"$plain" fcall:"$fcall" mpk/emu:"$mpk" proc:"$proc"; do
	name=${variant%%:*} bin=${variant#*:}
	t0=$(now)
	FLEXOS_MPK=emu "$bin" "$mib" 4096 > "$work/zlib.out"
	t1=$(now)
	grep -q identical "$work/zlib.out"
	t=$(secs "$t0" "$t1")
	[ -n "$base" ] || base=$t
	printf '%-32s %10s %7.2fx\n' "$name" "$t" \
		"$(awk -v a="$t" -v b="$base" 'BEGIN { print a / b }')"
done
