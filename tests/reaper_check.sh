#!/bin/sh
# The reaper itself: reaper_check.sh REAPER
#  - a test that leaves a child, and one that leaves a grandchild whose
#    parent is also left, fail, naming them, and both are killed;
#  - a clean test keeps its status: 0, 77 (skip), 3; a test killed by a
#    signal is reported killed by the same signal.
set -u
reaper=$1
out=$(mktemp)
trap 'rm -f "$out"' EXIT

fail() {
	echo "FAIL: reaper: $*" >&2
	sed 's/^/  | /' "$out" >&2
	exit 1
}

alive() {
	kill -0 "$1" 2>/dev/null && [ "$(cut -d' ' -f3 /proc/"$1"/stat 2>/dev/null)" != Z ]
}

# One orphan.
"$reaper" sh -c 'sleep 60 & echo $!' >"$out" 2>&1 && fail "an orphan went unnoticed"
pid=$(head -n1 "$out")
grep -q "left process $pid behind (sleep 60); killed" "$out" || fail "orphan $pid not named"
alive "$pid" && fail "orphan $pid still alive"

# A child and its own two children, all left.
"$reaper" sh -c 'sh -c "sleep 60 & echo \$!; sleep 60" & echo $!; sleep 0.2' \
	>"$out" 2>&1 && fail "a tree of three orphans went unnoticed"
for pid in $(grep -E '^[0-9]+$' "$out"); do
	alive "$pid" && fail "orphan $pid still alive"
done
grep -q 'left 3 processes behind' "$out" || fail "not three orphans counted"

# Stopped by SIGTERM (meson's timeout), the reaper kills at once what
# the test moved out of its process group, within meson's 500 ms.
"$reaper" sh -c 'setsid sleep 60 & echo $!; sleep 60' >"$out" 2>&1 &
rpid=$!
sleep 0.5
pid=$(head -n1 "$out")
kill -TERM $rpid
sleep 0.4
alive $rpid && fail "the reaper outlived SIGTERM by 400 ms"
wait $rpid
alive "$pid" && fail "the test's setsid child $pid outlived the reaper"
grep -q "left process $pid behind" "$out" || fail "setsid child $pid not named"

# Clean tests keep their verdicts.
"$reaper" true >"$out" 2>&1 || fail "a clean test failed"
"$reaper" sh -c 'exit 77' >"$out" 2>&1
[ $? -eq 77 ] || fail "skip (77) not kept"
"$reaper" sh -c 'exit 3' >"$out" 2>&1
[ $? -eq 3 ] || fail "status 3 not kept"
"$reaper" sh -c 'kill -USR1 $$' >"$out" 2>&1
[ $? -eq $((128 + 10)) ] || fail "death by SIGUSR1 not kept"
# A child that ends on its own within the grace period is not left.
"$reaper" sh -c 'sleep 0.3 &' >"$out" 2>&1 || fail "a child ending 0.3 s later was counted"
echo "reaper: ok"
