#!/bin/sh
# How long `sprout dump` takes over N parked threads, and how long it
# keeps the process stopped: medians of RUNS dumps of bench/parked_many.
#
#   bench/dump.sh [N [RUNS]]     (after scripts/build; default 10000 5)
set -eu
cd "$(dirname "$0")/.."
n=${1:-10000}
runs=${2:-5}
out=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null; rm -rf "$out"' EXIT
: >"$out/ready"
LD_PRELOAD=build/libsprout.so build/bench/parked_many "$n" >"$out/ready" &
pid=$!
while ! grep -q ready "$out/ready"; do sleep 0.1; done
for i in $(seq "$runs"); do
	start=$(date +%s%N)
	build/sprout dump "$pid" >"$out/dump"
	end=$(date +%s%N)
	echo "$(( (end - start) / 1000 )) $(head -1 "$out/dump" |
		sed 's/.*stopped \([0-9.]*\) ms.*/\1/')"
done >"$out/times"
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
wall=$(awk '{ print $1 / 1000 }' "$out/times" | median)
stop=$(awk '{ print $2 }' "$out/times" | median)
echo "dump of $n parked threads, median of $runs: $wall ms in all," \
	"process stopped $stop ms"
kill -USR1 "$pid"
wait "$pid"
