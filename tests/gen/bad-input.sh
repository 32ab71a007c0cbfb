#!/usr/bin/env bash
# bad-input.sh CASE GEN WORK HOST_O LIB_A DUP_O UNRESOLVED_O
# Feeds flexos-gen one kind of bad input and checks that it stops with a
# clear error naming the file (and the symbol), exit status 1, and that no
# output was written, not even in part.
set -u
case_=$1 gen=$2 work=$3/$1 host=$4 lib=$5 dup=$6 unresolved=$7
rm -rf "$work" && mkdir -p "$work/out"
libc=$(cc -print-file-name=libc.so.6)

conf() { # conf FILE-OF-HOST-COMPARTMENT [extra lines]
	printf 'image host\ncompartment host\ncompartment lib\n'
	printf 'library host host %s\nlibrary lib lib %s\n' "$1" "$lib"
	shift
	printf '%s\n' "$@"
}

case $case_ in
truncated)
	head -c 700 "$host" > "$work/host.o"
	conf "$work/host.o" > "$work/gen.conf"
	want="$work/host.o: error: truncated or corrupt object" ;;
truncated-archive)
	size=$(stat -c %s "$lib")
	head -c $((size * 2 / 3)) "$lib" > "$work/liblib.a"
	lib=$work/liblib.a
	conf "$host" > "$work/gen.conf"
	want="$work/liblib.a(\\(lib\\.c\\.o\\))?: error: (truncated|corrupt)" ;;
not-elf)
	echo "int main(void) { return 0; }" > "$work/host.o"
	conf "$work/host.o" > "$work/gen.conf"
	want="$work/host.o: error: not an ELF object or archive" ;;
other-arch)
	cp "$host" "$work/host.o"
	# e_machine (offset 18) := 183, EM_AARCH64
	printf '\267\000' | dd of="$work/host.o" bs=1 seek=18 conv=notrunc 2>/dev/null
	conf "$work/host.o" > "$work/gen.conf"
	want="$work/host.o: error: object is not for x86-64 \\(ELF machine 183" ;;
two-compartments)
	conf "$host" "library host host $dup" > "$work/gen.conf"
	want="error: symbol 'lib_value' is defined in compartment '(host|lib)' and also in compartment '(lib|host)'" ;;
unresolved)
	conf "$host" "library host host $unresolved" "tcb $libc" > "$work/gen.conf"
	want="$unresolved: error: undefined reference to 'no_such_function'" ;;
bad-config)
	printf 'image host\ncompartment host\nlibrary nowhere x %s\n' "$host" > "$work/gen.conf"
	want="gen.conf:3: error: library 'x': unknown compartment 'nowhere'" ;;
bad-policy)
	conf "$host" "share-heap no_such_host_function" > "$work/gen.conf"
	want="error: sharing policy: no compartment defines function 'no_such_host_function'" ;;
*)
	echo "bad-input.sh: unknown case $case_" >&2; exit 2 ;;
esac

output=$("$gen" analyze -c "$work/gen.conf" -o "$work/out/report.txt" \
	-j "$work/out/report.json" -d "$work/out/rewritten" 2>&1)
status=$?
printf '%s\n' "$output"
fail() { echo "bad-input.sh: $case_: $*" >&2; exit 1; }
[ "$status" -eq 1 ] || fail "exit status $status, expected 1"
printf '%s\n' "$output" | grep -Eq -- "$want" || fail "no message matching: $want"
leftover=$(find "$work/out" -type f | head -1)
[ -z "$leftover" ] || fail "output written despite the error: $leftover"
echo "bad-input.sh: $case_: ok"
