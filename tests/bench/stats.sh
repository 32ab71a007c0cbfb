# The benchmark scripts' figures, sourced by alloc.sh, learn.sh and
# proc_hog.sh (as measure.h serves the C benchmarks).
# median: the middle of the numbers on standard input, one a line.
median() { awk NF | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# ratio A B: A / B, as "1.23x".
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
