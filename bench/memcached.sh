#!/bin/sh
# memcached.sh [SECONDS [CONCURRENCY]] - a real server from Debian under load
# from its benchmark tool: memcached -t 4 on 127.0.0.1, driven by memaslap
# (memcaslap, libmemcached-tools) with 2 threads and CONCURRENCY (256)
# connections, 10% sets, 10% of the gets verified, for SECONDS (5).
#
# Only memcached is preloaded: LD_PRELOAD, if set, is taken off this
# script and memaslap and given back to the server. Prints metric lines
# for `sprout compare` (bench/real.txt):
#
#	metric memcached_tps	operations per second, as memaslap reports
#	metric server_threads	OS threads of memcached under load
#	metric server_rss	its peak RSS (VmHWM), MiB
#
# Exits 1 if memaslap reports a miss or a failed verification, 77 if a
# program is missing.
set -eu
secs=${1:-5}
conc=${2:-256}
preload=${LD_PRELOAD:-}
unset LD_PRELOAD

. "$(dirname "$0")/need.sh"
need memcached.sh "memcached libmemcached-tools" memcached memcaslap

out=$(mktemp)
port=$((20000 + $$ % 20000))
LD_PRELOAD=$preload memcached -t 4 -p $port -U 0 -l 127.0.0.1 -u root \
	-m 256 -c 4096 &
server=$!
trap 'kill $server 2>/dev/null; rm -f "$out"' EXIT

# Wait for the port (up to 5 s).
i=0
until memcstat --servers=127.0.0.1:$port >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 50 ] || {
		echo "memcached.sh: memcached did not come up" >&2
		exit 1
	}
	sleep 0.1
done

memcaslap -s 127.0.0.1:$port -T 2 -c "$conc" -t "${secs}s" -v 0.1 \
	>"$out" 2>&1 &
load=$!
sleep $((secs / 2))
threads=$(ls /proc/$server/task | wc -l)
wait $load || {
	cat "$out" >&2
	exit 1
}
rss=$(awk '/^VmHWM/ { print $2 }' /proc/$server/status)

bad=$(awk '/^(get_misses|verify_misses|verify_failed):/ { n += $2 }
	END { print n + 0 }' "$out")
tps=$(awk '/^Run time:/ { for (i = 1; i < NF; i++)
	if ($i == "TPS:") print $(i + 1) }' "$out")
if [ "$bad" != 0 ] || [ -z "$tps" ]; then
	cat "$out" >&2
	echo "memcached.sh: misses or failed verifications: $bad" >&2
	exit 1
fi
echo "metric memcached_tps $tps ops/s"
echo "metric server_threads $threads threads"
echo "metric server_rss $(awk "BEGIN { printf \"%.1f\", $rss / 1024 }") MiB"
