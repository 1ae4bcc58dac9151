#!/bin/sh
# Real programs from Debian run under the shim, each checked for what it
# must produce:
#   run.sh NAME BUILD_DIR
# pigz		pigz -p 8 output byte-identical to native; decompresses back
# sysbench	sysbench threads and mutex complete with events counted
# python	CPython's own test_threading, test_queue, test_thread pass
# python-io	CPython's own I/O tests pass: test_selectors, test_socket (less
#		its VSOCK cases, which hang natively on a VM without the
#		vsock loopback), test_poll, test_select, test_epoll,
#		test_subprocess
# python-signal	CPython's own signal tests pass: test_signal,
#		test_threadsignals, test_concurrent_futures (whose workers
#		crash on purpose: a crash must be reported as one)
# redis		redis-server with 4 I/O threads (which spin waiting for
#		each other) at the default SPROUT_PROCS completes
#		redis-benchmark's SETs and GETs, and reads back a key
#		(bench/redis.sh; SPROUT_REDIS_REQUESTS of each, 2,000 by
#		default)
# mariadb	mariadbd preloaded under sysbench oltp_point_select and
#		oltp_read_write at 16, 256 and 1,000 clients: no aborted
#		connection, no error (bench/mariadb.sh; SPROUT_MARIADB_SECS
#		per run, 5 by default)
set -u
name=$1
lib=$2/libsprout.so
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

fail() {
	echo "FAIL: $name: $*" >&2
	if [ -f "$dir/out" ]; then
		# What failed and why (unittest's reports), then the summary.
		grep -E -A12 '^(FAIL|ERROR): ' "$dir/out" | head -60 >&2
		tail -20 "$dir/out" >&2
	fi
	exit 1
}

need() {
	command -v "$1" >/dev/null 2>&1 || { echo "SKIP: no $1"; exit 77; }
}

case $name in
pigz)
	need pigz
	# 48 MB that compress like real data: text and binary.
	for i in 1 2 3 4 5 6; do
		seq 1 400000
		cat /usr/bin/pigz /bin/sh
	done >"$dir/in"
	pigz -p 8 -c <"$dir/in" >"$dir/native.gz" || fail "native pigz"
	LD_PRELOAD=$lib pigz -p 8 -c <"$dir/in" >"$dir/sprout.gz" 2>"$dir/out" ||
		fail "pigz under the shim"
	cmp "$dir/native.gz" "$dir/sprout.gz" || fail "outputs differ"
	LD_PRELOAD=$lib pigz -d -p 8 -c <"$dir/sprout.gz" | cmp - "$dir/in" ||
		fail "round trip differs"
	echo "pigz -p 8: byte-identical, $(wc -c <"$dir/in") bytes in"
	;;
sysbench)
	need sysbench
	for t in "threads --threads=64 --time=2" "mutex --threads=8"; do
		# shellcheck disable=SC2086
		timeout 120 env LD_PRELOAD=$lib sysbench $t run >"$dir/out" 2>&1 ||
			fail "sysbench $t"
		events=$(awk '/total number of events/ { print $NF }' "$dir/out")
		[ "${events:-0}" -gt 0 ] || fail "sysbench $t: no events"
		echo "sysbench $t: $events events"
	done
	;;
python | python-io | python-signal)
	py=/usr/bin/python3
	[ -x $py ] && $py -c 'import test.test_threading' 2>/dev/null ||
		{ echo "SKIP: no CPython test suite"; exit 77; }
	if [ "$name" = python ]; then
		set -- test_threading test_queue test_thread
	elif [ "$name" = python-signal ]; then
		# Each module in a process of its own, as CPython's CI runs
		# them (-j).
		set -- -j1 test_signal test_threadsignals \
			test_concurrent_futures
	else
		set -- test_selectors test_socket test_poll test_select \
			test_epoll test_subprocess -i '*VSOCK*'
	fi
	# -W: a failed test's own output is printed, not only its name.
	timeout 600 env LD_PRELOAD=$lib $py -m test -W "$@" >"$dir/out" 2>&1 ||
		fail "CPython tests"
	grep -q 'Tests result: SUCCESS' "$dir/out" || fail "no SUCCESS"
	tail -1 "$dir/out"
	;;
redis)
	need redis-server
	need redis-benchmark
	LD_PRELOAD=$lib "$(dirname "$0")/../../bench/redis.sh" \
		"${SPROUT_REDIS_REQUESTS:-2000}" 4 || fail "redis.sh"
	;;
mariadb)
	# Only the server is preloaded; SPROUT_PROCS 2 unless set.
	MARIADB_PRELOAD=$lib "$(dirname "$0")/../../bench/mariadb.sh" \
		"${SPROUT_MARIADB_SECS:-5}"
	exit $?
	;;
*)
	echo "run.sh: no program named $name" >&2
	exit 2
	;;
esac
