#!/bin/sh
# The differential fuzzer's runner: run.sh CALLS LIBSPROUT
# Runs CALLS (calls.c) for each seed natively and preloaded at each
# SPROUT_PROCS count, and compares the outputs line by line; any
# difference, in the output or the exit status, fails, naming the seed, the
# first differing call and the command that reproduces it.
#   FUZZ_SEEDS   seeds to run (default "1 2 3 4 5 6"); FUZZ_SEEDS=random picks
#                three from the time, printed
#   FUZZ_CALLS   calls per seed (default 2000)
#   FUZZ_PROCS   SPROUT_PROCS counts (default "1 2")
set -u
calls=$1
lib=$2
seeds=${FUZZ_SEEDS:-1 2 3 4 5 6}
n=${FUZZ_CALLS:-2000}
procs=${FUZZ_PROCS:-1 2}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

if [ "$seeds" = random ]; then
	seeds="$(date +%s%N | cut -c10-18) $$ $(od -An -N4 -tu4 /dev/urandom | tr -d ' ')"
fi
status=0
for seed in $seeds; do
	"$calls" "$seed" "$n" >"$dir/native" 2>"$dir/native.err" </dev/null
	rn=$?
	if [ $rn -ne 0 ]; then
		echo "FAIL: seed $seed: native run ended with status $rn"
		tail -n 3 "$dir/native" "$dir/native.err"
		status=1
		continue
	fi
	same=same
	for p in $procs; do
		SPROUT_PROCS=$p LD_PRELOAD=$lib "$calls" "$seed" "$n" \
			>"$dir/sprout" 2>"$dir/sprout.err" </dev/null
		rp=$?
		if ! cmp -s "$dir/native" "$dir/sprout" || [ $rp -ne 0 ]; then
			echo "FAIL: seed $seed, SPROUT_PROCS=$p: status $rp (native 0)"
			diff "$dir/native" "$dir/sprout" | head -n 6 | sed 's/^/  /'
			tail -n 3 "$dir/sprout.err" | sed 's/^/  stderr: /'
			echo "  again: $calls $seed $n >native;" \
				"SPROUT_PROCS=$p LD_PRELOAD=$lib $calls $seed $n >sprout"
			status=1
			same="different: see above"
		fi
	done
	echo "seed $seed: $n calls, native and SPROUT_PROCS=$(echo $procs | tr ' ' ,): $same"
done
grep '^calls: known' "$dir/native" | sed 's/^calls: //'
exit $status
