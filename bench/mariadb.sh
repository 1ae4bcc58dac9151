#!/bin/sh
# mariadb.sh [SECONDS [THREADS]] - MariaDB (a thread per connection) under
# sysbench: a fresh datadir in a temporary directory, mariadbd on 127.0.0.1
# (a free port, its own socket file), 4 tables of 10,000 rows, then
# oltp_point_select and oltp_read_write for SECONDS (5) each at every client
# count in THREADS (16,256,1000).
#
# Only mariadbd is preloaded: LD_PRELOAD (or MARIADB_PRELOAD), if set, is
# given to the server alone, with SPROUT_PROCS (2 unless set); this script,
# mariadb-install-db, the client and sysbench run natively. Prints one line
# per run and metric lines for `sprout compare` (bench/real.txt):
#
#	metric point16_tps	oltp_point_select tps at 16 clients (and so on)
#	metric point16_p95_ms	its 95th percentile latency, ms
#	metric point16_spread	the spread of events over its clients
#				(sysbench's stddev over average, %)
#	metric rw16_tps		oltp_read_write tps at 16 clients (and so on,
#				with rw16_p95_ms and rw16_spread)
#	metric server_threads	OS threads of mariadbd, most seen under load
#	metric server_rss	its peak RSS (VmHWM), MiB
#
# Exits 1 if the server aborted a client or a connection (Aborted_clients,
# Aborted_connects), sysbench failed, reconnected or outlived its time, or
# the server died or did not shut down cleanly; every run is made first,
# unless the server died. Deadlocks of oltp_read_write are the workload's
# own (sysbench retries them): counted, not failed. Exits 77 if a program
# is missing.
set -u
if [ -n "${LD_PRELOAD:-}" ]; then
	MARIADB_PRELOAD=$LD_PRELOAD exec env -u LD_PRELOAD "$0" "$@"
fi
secs=${1:-5}
threads=${2:-16,256,1000}
preload=${MARIADB_PRELOAD:-}
procs=${SPROUT_PROCS:-2}
PATH=$PATH:/usr/sbin

. "$(dirname "$0")/need.sh"
need mariadb.sh "mariadb-server-core mariadb-client-core sysbench" \
	mariadbd mariadb-install-db mariadb sysbench python3

# A client takes an fd in sysbench and one in the server.
[ "$(ulimit -n)" -ge 8192 ] || ulimit -n 8192 2>/dev/null ||
	ulimit -n "$(ulimit -Hn)"

dir=$(mktemp -d /tmp/sprout-mariadb.XXXXXX)
server=
load=
cleanup() {
	[ -n "$load" ] && kill "$load" 2>/dev/null
	if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
		kill -9 "$server" 2>/dev/null
		wait "$server" 2>/dev/null
	fi
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

failed=0
fail() {
	echo "mariadb.sh: FAIL: $*" >&2
	failed=1
}
log_tail() {
	echo "--- server log, first errors and tail:" >&2
	grep -m10 -E '\[(ERROR|Warning)\]' "$dir/err.log" >&2
	echo "..." >&2
	tail -15 "$dir/err.log" >&2
}
die() {
	fail "$@"
	log_tail
	exit 1
}

user=
[ "$(id -u)" = 0 ] && user=--user=root
port=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')

timeout 120 mariadb-install-db --no-defaults $user --datadir="$dir/data" \
	--auth-root-authentication-method=socket --skip-test-db \
	--skip-name-resolve >"$dir/install.log" 2>&1 || {
	tail -20 "$dir/install.log" >&2
	echo "mariadb.sh: mariadb-install-db failed" >&2
	exit 1
}
cat >"$dir/init.sql" <<EOF
CREATE DATABASE IF NOT EXISTS sbtest;
CREATE USER IF NOT EXISTS sbtest@'127.0.0.1';
GRANT ALL ON *.* TO sbtest@'127.0.0.1';
EOF

# 1,000 clients and a margin; sysbench prepares some 40 statements per
# client for oltp_read_write on 4 tables; a table cache of 4 per client.
LD_PRELOAD=$preload SPROUT_PROCS=$procs mariadbd --no-defaults $user \
	--datadir="$dir/data" --socket="$dir/sock" --pid-file="$dir/pid" \
	--log-error="$dir/err.log" --bind-address=127.0.0.1 --port="$port" \
	--init-file="$dir/init.sql" --skip-name-resolve \
	--max-connections=1200 --back-log=1200 \
	--max-prepared-stmt-count=200000 --table-open-cache=8000 \
	--open-files-limit=16384 --innodb-buffer-pool-size=256M \
	--innodb-flush-log-at-trx-commit=2 >"$dir/out.log" 2>&1 &
server=$!

sql() {
	timeout 30 mariadb --no-defaults -h127.0.0.1 -P"$port" -usbtest -N -B \
		-e "$1" 2>>"$dir/client.log"
}

# Wait until it answers (60 s).
end=$(($(date +%s) + 60))
until sql 'SELECT 1' >/dev/null; do
	kill -0 "$server" 2>/dev/null || die "mariadbd exited at start-up"
	[ "$(date +%s)" -lt $end ] || die "mariadbd did not answer in 60 s"
	sleep 0.2
done

timeout 300 sysbench oltp_common --db-driver=mysql --mysql-host=127.0.0.1 \
	--mysql-port="$port" --mysql-user=sbtest --mysql-db=sbtest \
	--tables=4 --table-size=10000 --threads=4 prepare \
	>"$dir/prepare.log" 2>&1 || {
	tail -20 "$dir/prepare.log" >&2
	die "sysbench prepare failed"
}

# Connections the server aborted so far, or nothing if it does not answer.
aborted() {
	sql "SHOW GLOBAL STATUS WHERE Variable_name IN
		('Aborted_clients', 'Aborted_connects')" >"$dir/status" &&
		awk '{ n += $2 } END { print n + 0 }' "$dir/status"
}

most=0
server_threads=0
for workload in point_select read_write; do
	for n in $(echo "$threads" | tr , ' '); do
		before=$(aborted)
		[ -n "$before" ] || die "mariadbd does not answer"
		out=$dir/$workload.$n.log
		# 1,000 clients connect before the clock starts: allow for it.
		timeout $((secs + 120)) sysbench oltp_$workload \
			--db-driver=mysql --mysql-host=127.0.0.1 \
			--mysql-port="$port" --mysql-user=sbtest \
			--mysql-db=sbtest --tables=4 --table-size=10000 \
			--threads="$n" --time="$secs" --report-interval=0 \
			run >"$out" 2>&1 &
		load=$!
		# The server's OS threads, each second, at the most clients.
		if [ "$n" -ge "$most" ]; then
			most=$n
			while kill -0 $load 2>/dev/null; do
				t=$(ls /proc/$server/task 2>/dev/null | wc -l)
				[ "$t" -le "$server_threads" ] ||
					server_threads=$t
				sleep 1
			done
		fi
		wait $load
		rc=$?
		load=
		kill -0 "$server" 2>/dev/null || {
			tail -5 "$out" >&2
			die "mariadbd died in oltp_$workload at $n clients"
		}
		after=$(aborted)
		[ -n "$after" ] || die "mariadbd does not answer"
		lost=$((after - before))
		tps=$(awk '/transactions:/ { sub(/[(]/, "", $3); print $3 }' \
			"$out")
		dl=$(awk '/ignored errors:/ { print $3 }' "$out")
		re=$(awk '/reconnects:/ { print $2 }' "$out")
		p95=$(awk '/95th percentile:/ { print $3 }' "$out")
		# events (avg/stddev):           4625.6250/35.29
		spread=$(awk '/events [(]avg[/]stddev[)]:/ {
			split($3, a, "/")
			if (a[1] > 0) printf "%.1f", 100 * a[2] / a[1] }' "$out")
		echo "oltp_$workload $n clients: ${tps:--} tps," \
			"p95 ${p95:--} ms, spread ${spread:--} %," \
			"${dl:--} deadlocks, ${re:--} reconnects," \
			"$lost aborted, exit $rc"
		case $workload in
		point_select) short=point ;;
		read_write) short=rw ;;
		esac
		if [ $rc != 0 ] || [ -z "$tps" ] || [ "$lost" != 0 ] ||
			[ "${re:-1}" != 0 ]; then
			grep -m3 -E 'FATAL|ALERT' "$out" >&2
			fail "oltp_$workload at $n clients"
		else
			echo "metric $short${n}_tps $tps tps"
			[ -z "$p95" ] ||
				echo "metric $short${n}_p95_ms $p95 ms"
			[ -z "$spread" ] ||
				echo "metric $short${n}_spread $spread %"
		fi
	done
done

rss=$(awk '/^VmHWM/ { print $2 }' /proc/$server/status)
sql 'SHUTDOWN' >/dev/null || {
	fail "SHUTDOWN refused"
	kill -TERM "$server"
}
end=$(($(date +%s) + 60))
while kill -0 "$server" 2>/dev/null; do
	[ "$(date +%s)" -lt $end ] || die "mariadbd did not shut down in 60 s"
	sleep 0.2
done
wait "$server"
rc=$?
server=
[ $rc = 0 ] || die "mariadbd exited with status $rc"
echo "metric server_threads $server_threads threads"
echo "metric server_rss $(awk "BEGIN { printf \"%.1f\", $rss / 1024 }") MiB"
if [ $failed != 0 ]; then
	log_tail
	exit 1
fi
