#!/bin/sh
# echo-servers.sh [RUNS [SECONDS [CONNS...]]] - the echo benchmark against
# four servers in turns, each driven by echo_client:
#   native  bench/echo_server: a thread per connection, natively;
#   sprout  the same binary under sprout;
#   go      bench/go/echo_server.go: a goroutine per connection, the
#           reference a green-thread runtime is held to (skipped, with a
#           note, where Go is not installed: apt-get install golang-go);
#   epoll   bench/echo_epoll: one thread and one epoll set, no threads per
#           connection: the most a server gets from this machine.
# Turns go native, sprout, go, epoll, native, ..., RUNS times (3) for
# SECONDS (5) at each of CONNS (1000 5000). Prints the medians of
# requests/s, server CPU per request and server OS threads, and
# requests/s over native's. Environment such as SPROUT_PROCS reaches the
# sprout server. Needs a build in build/ (scripts/build).
set -eu
cd "$(dirname "$0")/.."
runs=${1:-3}
secs=${2:-5}
shift $(($# < 2 ? $# : 2))
conns=${*:-1000 5000}
bin=$PWD/build/bench
lib=$PWD/build/libsprout.so

[ -x "$bin/echo_client" ] && [ -x "$bin/echo_epoll" ] && [ -f "$lib" ] || {
	echo "echo-servers.sh: build first (scripts/build)" >&2
	exit 1
}
servers="native sprout go epoll"
if ! command -v go >/dev/null; then
	echo "echo-servers.sh: go not found, no Go server" \
		"(apt-get install golang-go)" >&2
	servers="native sprout epoll"
else
	(cd bench/go && CGO_ENABLED=0 go build -o "$bin/go_echo_server" .)
fi
out=$(mktemp)
trap 'rm -f "$out" "$out.run"' EXIT

# run NAME CONNS: one measurement, as a line "NAME CONNS rps cpu threads"
# in $out. echo_client preloads the server from ECHO_SERVER_PRELOAD.
run() {
	name=$1 n=$2 pre=
	case $name in
	native) srv=echo_server ;;
	sprout) srv=echo_server pre=$lib ;;
	go) srv=$bin/go_echo_server ;;
	epoll) srv=echo_epoll ;;
	esac
	ECHO_SERVER_PRELOAD=$pre "$bin/echo_client" "$n" "$secs" "$srv" \
		>"$out.run" 2>&1 </dev/null || {
		echo "echo-servers.sh: $name at $n connections failed:" >&2
		tail -5 "$out.run" >&2
		exit 1
	}
	awk -v name="$name" -v n="$n" '
		$1 == "metric" { m[$2] = $3 }
		END { print name, n, m["echo_rps"], m["server_cpu"],
		      m["server_threads"] }' "$out.run" >>"$out"
}

for n in $conns; do
	i=0
	while [ $i -lt "$runs" ]; do
		for s in $servers; do
			run "$s" "$n"
		done
		i=$((i + 1))
	done
done

# The median of column $3 of the lines of server $1 at $2 connections.
median() {
	awk -v name="$1" -v n="$2" -v c="$3" \
		'$1 == name && $2 == n { print $c }' "$out" | sort -n |
		awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

printf '%-7s %6s %9s %7s %13s %8s\n' server conns 'req/s' ratio \
	'ns cpu/req' threads
for n in $conns; do
	base=$(median native "$n" 3)
	for s in $servers; do
		rps=$(median "$s" "$n" 3)
		printf '%-7s %6s %9d %6.2fx %13d %8d\n' "$s" "$n" "$rps" \
			"$(echo "$rps $base" | awk '{ print $1 / $2 }')" \
			"$(median "$s" "$n" 4)" "$(median "$s" "$n" 5)"
	done
done
