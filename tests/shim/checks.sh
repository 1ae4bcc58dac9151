#!/bin/sh
# Checks of the shim as a whole, one per name:
#   checks.sh NAME BUILD_DIR
# exports	libsprout.so exports exactly the names of shim/symbols.h and
#		sprout_debug (sched/stack.h)
# overflow	a G that overflows its stack is named on stderr, then SIGSEGV
# config	malformed SPROUT_* values are reported once, with the value
#		used; SPROUT_STACK sizes the threads whose attribute does not
# off		SPROUT_OFF=1 runs the program on native threads
# launcher	`sprout run --procs N` runs a program on N Ps; --help;
#		`sprout compare` prints its table; installed, the command
#		finds the installed library, compare.py, sprout-dump,
#		sprout-gdb.py and sprout.supp
# schedtrace	SPROUT_DEBUG=schedtrace=MS shows sysmon retaking Ps: from a
#		FIFO open (a system call) and from printf waiting on a
#		FILE lock (blocking the shim cannot see); bad items reported
# maxm		past SPROUT_MAXM kernel threads the program goes on with
#		those there are, saying so once
# shells	dash's and bash's "wait" for background jobs (SIGCHLD and
#		sigsuspend with the masks shells set) end, 20 times each
set -u
name=$1
build=$2
lib=$build/libsprout.so
progs=$build/tests/progs
out=$(mktemp)
trap 'rm -f "$out"' EXIT

fail() {
	echo "FAIL: $name: $*" >&2
	sed 's/^/  | /' "$out" >&2
	exit 1
}

case $name in
exports)
	nm -D --defined-only "$lib" | awk '{ print $3 }' | sort >"$out.nm"
	tr ' ;' '\n\n' <"$build/symbols.map" |
		grep -E '^[A-Za-z_0-9]+$' | grep -vx -e global -e local |
		sort >"$out.map"
	if ! diff "$out.map" "$out.nm" >"$out"; then
		rm -f "$out.nm" "$out.map"
		fail "exported names differ from the table (< table, > exported)"
	fi
	echo "$(wc -l <"$out.nm") names exported, as the table says"
	rm -f "$out.nm" "$out.map"
	;;
overflow)
	LD_PRELOAD=$lib "$progs/stack_overflow" >"$out" 2>&1 ||
		fail "stack_overflow failed"
	grep -q 'overflowed its stack of 256 KiB: give it a larger one' "$out" ||
		fail "no overflow report"
	;;
config)
	SPROUT_PROCS=abc SPROUT_STACK=12Q LD_PRELOAD=$lib \
		"$progs/self_equal" >"$out" 2>&1 || fail "program failed"
	[ "$(grep -c 'SPROUT_PROCS=abc is not a whole number from 1 to 1024; using [0-9]' "$out")" = 1 ] ||
		fail "SPROUT_PROCS=abc not reported once"
	[ "$(grep -c 'SPROUT_STACK=12Q is not a size' "$out")" = 1 ] ||
		fail "SPROUT_STACK=12Q not reported once"
	# SPROUT_STACK applies to every thread whose attribute sets no size.
	SPROUT_STACK=256K STACK_ATTR_WANT=262144 LD_PRELOAD=$lib \
		"$progs/stack_attr" >"$out" 2>&1 ||
		fail "SPROUT_STACK=256K not the stack of threads without a size"
	GOMAXPROCS=0 LD_PRELOAD=$lib "$progs/self_equal" >"$out" 2>&1 ||
		fail "program failed"
	grep -q 'GOMAXPROCS=0 is not' "$out" || fail "GOMAXPROCS=0 not reported"
	;;
off)
	SPROUT_OFF=1 PROG_MODE=native LD_PRELOAD=$lib \
		"$progs/os_threads" >"$out" 2>&1 || fail "not native threads"
	;;
launcher)
	SPROUT_DEBUG=schedtrace=5 PROG_MODE=sprout "$build/sprout" run \
		--procs 1 -- "$progs/os_threads" >"$out" 2>&1 ||
		fail "sprout run failed"
	# One P, as the scheduler says. (Not counted in kernel threads: on a
	# loaded machine sysmon may take the P from a descheduled M0 and
	# start another M, as a busy native thread can be descheduled.)
	grep -q '^sprout: SCHED .* procs=1 ' "$out" || fail "not one P"
	grep -q '^sprout: SCHED .* procs=[02-9]' "$out" && fail "not one P"
	# The static TLS reserve: trimmed, added to the program's tunables,
	# the program's own where it sets one, glibc's with --full-tls.
	trim=glibc.rtld.nns=1:glibc.rtld.optional_static_tls=0
	t=$(env -u GLIBC_TUNABLES "$build/sprout" run -- \
		sh -c 'echo "$GLIBC_TUNABLES"')
	[ "$t" = "$trim" ] || fail "sprout run set GLIBC_TUNABLES='$t'"
	t=$(GLIBC_TUNABLES=glibc.malloc.check=0 "$build/sprout" run -- \
		sh -c 'echo "$GLIBC_TUNABLES"')
	[ "$t" = "glibc.malloc.check=0:$trim" ] ||
		fail "sprout run set GLIBC_TUNABLES='$t' over another tunable"
	t=$(GLIBC_TUNABLES=glibc.rtld.nns=2 "$build/sprout" run -- \
		sh -c 'echo "$GLIBC_TUNABLES"')
	[ "$t" = glibc.rtld.nns=2 ] || fail "sprout run changed nns: '$t'"
	t=$(env -u GLIBC_TUNABLES "$build/sprout" run --full-tls -- \
		sh -c 'echo "${GLIBC_TUNABLES-unset}"')
	[ "$t" = unset ] || fail "sprout run --full-tls set '$t'"
	"$build/sprout" run --bogus true >"$out" 2>&1 && fail "bad option accepted"
	grep -q "unknown option '--bogus'" "$out" || fail "no message"
	"$build/sprout" --help >"$out" 2>&1 || fail "--help failed"
	grep -q -- '--stack SIZE' "$out" || fail "--help names no option"
	"$build/sprout" compare --runs 1 --procs 1 -- "$progs/create_join" \
		>"$out" 2>&1 || fail "sprout compare failed"
	for row in 'CPU' 'peak OS threads' 'page tables' 'kernel tasks' \
		'total memory'; do
		grep -q "^$row  *[a-zA-Z]*  *[0-9.]* .*[0-9.]*x\$" "$out" ||
			fail "sprout compare gave no '$row' row"
	done
	# Runs long enough (tens of ms) for the 2 ms polls of RSS to see them.
	"$build/sprout" compare --runs 1 --sweep 300,600 --plot "$out.svg" -- \
		"$build/bench/demo" '{}' 20 >"$out" 2>&1 ||
		fail "sprout compare --sweep failed"
	grep -q '^ *600  *[0-9.]* MiB  *[0-9.]* MiB  *[0-9.]* KiB  *[0-9.]* KiB$' \
		"$out" || fail "no sweep table"
	[ "$(grep -c '<polyline' "$out.svg")" = 4 ] ||
		fail "the plot has not two lines in each of its two charts"
	rm -f "$out.svg"
	# Installed (staged in a DESTDIR): the command finds the installed
	# library, and the man page is there.
	dest=$(mktemp -d)
	meson install -C "$build" --no-rebuild --destdir "$dest" >"$out" 2>&1 ||
		fail "meson install failed"
	inst=$(find "$dest" -path '*/bin/sprout')
	[ -x "$inst" ] || fail "no sprout installed"
	find "$dest" -name 'sprout.1*' | grep -q . || fail "no man page"
	"$inst" --help >"$out" 2>&1 || fail "installed sprout --help failed"
	"$inst" compare --help | grep -q -- '--procs' ||
		fail "installed sprout compare --help failed"
	grep -q "now: $dest/.*/libsprout.so" "$out" ||
		fail "installed sprout does not find the installed library"
	PROG_MODE=sprout "$inst" run --procs 1 -- "$progs/os_threads" \
		>"$out" 2>&1 || fail "installed sprout run failed"
	"$inst" dump >"$out" 2>&1
	[ $? = 2 ] && grep -q '^usage: sprout dump PID' "$out" ||
		fail "installed sprout dump does not find sprout-dump"
	f=$("$inst" --gdb | sed -n 's/^source //p')
	case $f in "$dest"/*) [ -f "$f" ] ;; *) false ;; esac ||
		fail "installed sprout --gdb names '$f'"
	f=$("$inst" --valgrind-supp)
	case $f in "$dest"/*) [ -f "$f" ] ;; *) false ;; esac ||
		fail "installed sprout --valgrind-supp names '$f'"
	rm -rf "$dest"
	;;
schedtrace)
	# Children of the test print their own lines: any line will do.
	SPROUT_PROCS=1 SPROUT_DEBUG=schedtrace=10 LD_PRELOAD=$lib \
		"$progs/blocking_progress" >"$out" 2>&1 ||
		fail "blocking_progress failed"
	grep -q '^sprout: SCHED [0-9]*ms: procs=1 idleprocs=[01] threads=' "$out" ||
		fail "no schedtrace lines"
	grep -q ' retakes=[1-9]' "$out" ||
		fail "no P retaken from a system call"
	SPROUT_PROCS=1 SPROUT_DEBUG=schedtrace=10 LD_PRELOAD=$lib \
		"$progs/flockfile_sleep" >"$out" 2>&1 ||
		fail "flockfile_sleep failed"
	grep -q ' hidden=[1-9]' "$out" ||
		fail "no P handed off from a hidden block"
	SPROUT_DEBUG=schedtrace=x,bogus LD_PRELOAD=$lib \
		"$progs/self_equal" >"$out" 2>&1 || fail "program failed"
	[ "$(grep -c 'SPROUT_DEBUG=schedtrace=x is not a number of milliseconds; using 1000' "$out")" = 1 ] ||
		fail "schedtrace=x not reported once"
	grep -q "unknown item 'bogus'" "$out" || fail "bogus item not reported"
	;;
maxm)
	# Ten threads in waitpid at once need ten Ms; allow five. The five
	# left over wait for an M, say so once, and finish when one returns:
	# no abort, no hang, no child left behind.
	for procs in 1 2; do
		SPROUT_MAXM=5 SPROUT_PROCS=$procs LD_PRELOAD=$lib \
			timeout -s KILL 60 "$build/tests/shim/waiters" 10 \
			>"$out" 2>&1 ||
			fail "ten blocked threads failed with five Ms (P=$procs)"
		[ "$(grep -c 'sprout: 5 kernel threads, the most SPROUT_MAXM allows, are in use' "$out")" = 1 ] ||
			fail "the limit not named once (P=$procs)"
	done
	SPROUT_MAXM=64 SPROUT_PROCS=1 LD_PRELOAD=$lib "$build/tests/shim/waiters" 10 \
		>"$out" 2>&1 || fail "ten blocked threads failed with 64 Ms"
	if grep -q 'SPROUT_MAXM' "$out"; then
		fail "the limit named with 64 Ms"
	fi
	;;
shells)
	script='sleep 0.2 & sleep 0.1; x=$(echo hi); wait $!; echo done'
	for sh in dash bash; do
		for i in $(seq 20); do
			SPROUT_PROCS=$((i % 2 + 1)) LD_PRELOAD=$lib \
				timeout -s KILL 10 $sh -c "$script" >"$out" 2>&1 ||
				fail "$sh -c '$script' did not end (run $i)"
			grep -qx done "$out" || fail "$sh: no output (run $i)"
		done
	done
	echo "dash and bash waited for their jobs 20 times each"
	;;
*)
	echo "checks.sh: no check named $name" >&2
	exit 2
	;;
esac
