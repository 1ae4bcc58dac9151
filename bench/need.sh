# shellcheck shell=sh
# Sourced by the benchmark scripts (bench/*.sh).
#
# need SCRIPT PACKAGES PROGRAM...: exit 77 (skipped, as meson and
# tests/real read it), naming the first PROGRAM not on PATH and the Debian
# PACKAGES that have them all.
need() {
	_script=$1
	_packages=$2
	shift 2
	for _p; do
		command -v "$_p" >/dev/null 2>&1 || {
			echo "$_script: $_p not found (apt-get install" \
				"$_packages)" >&2
			exit 77
		}
	done
}
