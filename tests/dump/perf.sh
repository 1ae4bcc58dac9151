#!/bin/sh
# perf record -g of a program under sprout (bench/condvar_pingpong at two
# Ps): among the samples, call chains that pass through the program's
# function (player) and sprout's (cond_wait) and end where a green
# thread's stack begins (ctx_trampoline), every frame named. Skipped
# (77) where perf cannot record here.
#   perf.sh PROG LIBSPROUT
set -u
prog=$1
lib=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

if ! perf record -q -o "$out/probe" true >/dev/null 2>&1; then
	echo "perf cannot record here: skipped"
	exit 77
fi
SPROUT_PROCS=2 LD_PRELOAD=$lib perf record -q -g -F 4000 \
	-o "$out/perf.data" "$prog" 100000 >"$out/run" 2>&1 || {
	echo "FAIL: perf record of the program failed"
	sed 's/^/  | /' "$out/run"
	exit 1
}
perf script -i "$out/perf.data" >"$out/script" 2>/dev/null
# One sample per paragraph; keep those through player and cond_wait.
awk -v RS= -v ORS='\n\n' '/ player\+/ && / cond_wait\+/' "$out/script" \
	>"$out/chains"
n=$(grep -c ' player+' "$out/chains")
whole=$(awk -v RS= '{ n = split($0, l, "\n");
	if (l[n] ~ / ctx_trampoline\+/ && $0 !~ /\[unknown\]/) c++ }
	END { print c + 0 }' "$out/chains")
echo "$n samples through player and cond_wait; $whole of them named" \
	"to ctx_trampoline"
if [ "$n" -eq 0 ] || [ "$whole" -lt $((n * 9 / 10)) ]; then
	echo "FAIL: call chains through a green thread are not whole:"
	head -40 "$out/chains" | sed 's/^/  | /'
	exit 1
fi
awk -v RS= 'NR == 1' "$out/chains" | sed 's/^/  | /'
