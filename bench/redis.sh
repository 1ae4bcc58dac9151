#!/bin/sh
# redis.sh [REQUESTS [IO_THREADS]] - a real server from Debian under load
# from its benchmark tool: redis-server on 127.0.0.1 with IO_THREADS (4)
# I/O threads doing reads and writes (--io-threads-do-reads yes), driven
# by redis-benchmark with 50 connections, REQUESTS (20000) SETs then as
# many GETs. Redis's I/O threads and its main thread wait for each other
# by spinning on counters without calling libc: a thread that never
# enters the shim, which only preemption can take a P from.
#
# Only redis-server is preloaded: LD_PRELOAD, if set, is taken off this
# script and redis-benchmark and given back to the server. Each command is
# given 300 s. Prints metric lines for `sprout compare` (bench/real.txt):
#
#	metric redis_set_rps	SET requests per second, as redis-benchmark
#	metric redis_get_rps	GET requests per second     reports them
#	metric redis_set_p50_ms	median latency of a SET, ms
#	metric server_threads	OS threads of redis-server under load
#
# Exits 1 if redis-benchmark fails or does not complete its requests, or
# a key read back differs from what was written; 77 if a program is
# missing.
set -eu
requests=${1:-20000}
io=${2:-4}
preload=${LD_PRELOAD:-}
unset LD_PRELOAD

. "$(dirname "$0")/need.sh"
need redis.sh "redis-server redis-tools" redis-server redis-benchmark \
	redis-cli

out=$(mktemp)
dir=$(mktemp -d)
port=$((20000 + $$ % 20000))
LD_PRELOAD=$preload redis-server --port $port --bind 127.0.0.1 \
	--io-threads "$io" --io-threads-do-reads yes --save '' \
	--appendonly no --dir "$dir" --logfile "$dir/log" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$out" "$dir"' \
	EXIT

# Wait for the port (up to 10 s).
i=0
until redis-cli -p $port ping >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 100 ] || {
		echo "redis.sh: redis-server did not come up" >&2
		cat "$dir/log" >&2
		exit 1
	}
	sleep 0.1
done

# A value written and read back through the server as it runs.
redis-cli -p $port set sprout:check "$$-$requests" >/dev/null
threads=0
timeout 300 redis-benchmark -p $port -c 50 -n "$requests" -t set,get \
	--csv >"$out" 2>&1 &
load=$!
sleep 1
[ -d /proc/$server/task ] && threads=$(ls /proc/$server/task | wc -l)
wait $load || {
	echo "redis.sh: redis-benchmark failed" >&2
	cat "$out" >&2
	exit 1
}
[ "$(timeout 60 redis-cli -p $port get sprout:check)" = "$$-$requests" ] || {
	echo "redis.sh: the key read back differs" >&2
	exit 1
}

# "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms",...
awk -F'"' -v threads="$threads" '
	$2 == "SET" { set = $4; p50 = $10 }
	$2 == "GET" { get = $4 }
	END {
		if (set == "" || get == "")
			exit 1
		print "metric redis_set_rps " set " req/s"
		print "metric redis_get_rps " get " req/s"
		print "metric redis_set_p50_ms " p50 " ms"
		print "metric server_threads " threads " threads"
	}' "$out" || {
	echo "redis.sh: no figures from redis-benchmark" >&2
	cat "$out" >&2
	exit 1
}
