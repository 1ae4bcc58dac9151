#!/bin/sh
# valgrind's memcheck on tests/dump/vgprog, natively and under sprout
# (SPROUT_PROCS 2, with sprout.supp): the same error count, and the same
# kinds of error, where the program has none and where it has one (bad);
# no warning under sprout that the native run has not.
#   valgrind.sh VGPROG LIBSPROUT SPROUT.SUPP
set -u
prog=$1
lib=$2
supp=$3
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
status=0

summary() { sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$1"; }
kinds() { grep -E '^==[0-9]+== (Invalid|Conditional|Use of|Syscall param|Mismatched)' "$1" | sed 's/^==[0-9]*== //' | sort; }
warnings() { grep -E '^==[0-9]+== Warning' "$1" | sed 's/^==[0-9]*== //' | sort; }

for mode in good bad; do
	valgrind --leak-check=full "$prog" "$mode" >"$out/native" 2>&1
	SPROUT_PROCS=2 LD_PRELOAD=$lib valgrind --leak-check=full \
		--suppressions="$supp" "$prog" "$mode" >"$out/sprout" 2>&1
	n=$(summary "$out/native")
	s=$(summary "$out/sprout")
	echo "$mode: native $n errors, under sprout $s"
	want=0
	[ "$mode" = bad ] && want=1
	if [ "$n" != "$want" ] || [ "$s" != "$n" ]; then
		echo "FAIL: $mode: $s errors under sprout, $n natively, want $want"
		status=1
	fi
	if [ "$(kinds "$out/native")" != "$(kinds "$out/sprout")" ]; then
		echo "FAIL: $mode: other errors under sprout:"
		kinds "$out/sprout"
		status=1
	fi
	if [ -n "$(warnings "$out/sprout" | comm -23 - "$(
		warnings "$out/native" >"$out/nw"; echo "$out/nw")")" ]; then
		echo "FAIL: $mode: warnings under sprout only:"
		warnings "$out/sprout"
		status=1
	fi
	grep -q '^threads 3f' "$out/sprout" || {
		echo "FAIL: $mode: the program did not finish under sprout"
		status=1
	}
	[ $status = 0 ] || sed 's/^/  | /' "$out/sprout"
done
exit $status
