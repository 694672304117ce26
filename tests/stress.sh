#!/bin/sh
# stress.sh - the whole test suite, N times in a row, with `stress-ng --cpu 2`
# loading the machine beside it (issue 9.10: tests hold under load).
# Not run by `make check`.  Run it from a configured build directory:
#
#     cd _build/dev && ../../tests/stress.sh [-n 3] [-j 2] [-o LOGDIR] [MAKEVAR=...]
#
# Trailing arguments go to make (TESTS='tests/integration/test_stop.py'
# repeats one test under the same load).
# Each pass is `make -jJ check`; the first failing pass ends the series.
# Everything is kept in LOGDIR (default ./stress-logs): passN.log (make's
# output), passN/ (test-suite.log and the log of every test that did not
# pass) and summary.tsv, one line per pass: pass, commit, start, end (UTC),
# result, the tests that failed, the load average at the end.
# stress-ng runs in its own session and is killed by its id when the
# script ends, however it ends.  Exit status: 0 when all N passes passed.

set -u

passes=3
jobs=2
logdir="stress-logs"
while getopts n:j:o:h opt; do
	case $opt in
	n) passes=$OPTARG ;;
	j) jobs=$OPTARG ;;
	o) logdir=$OPTARG ;;
	*) sed -n '2,17s/^# \{0,1\}//p' "$0"; exit 2 ;;
	esac
done
shift $((OPTIND - 1))

if [ ! -f Makefile ] || ! grep -q '^abs_top_srcdir = ' Makefile; then
	echo "stress.sh: run it from a configured build directory" >&2
	exit 2
fi
if ! command -v stress-ng >/dev/null 2>&1; then
	echo "stress.sh: stress-ng is not installed (apt-get install stress-ng)" >&2
	exit 2
fi
srcdir=$(sed -n 's/^abs_top_srcdir = //p' Makefile)
commit=$(git -C "$srcdir" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$srcdir" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
	commit="$commit+dirty"
fi
mkdir -p "$logdir" || exit 2
[ -f "$logdir/summary.tsv" ] ||
	printf 'pass\tcommit\tstart\tend\tresult\tfailed\tloadavg\n' >"$logdir/summary.tsv"

# Build first, unloaded: a compile error is not a test failure.
if ! make -j"$jobs" >"$logdir/build.log" 2>&1; then
	echo "stress.sh: the build failed, see $logdir/build.log" >&2
	exit 2
fi

stress=
stop_stress() {
	if [ -n "$stress" ]; then
		kill -TERM -"$stress" 2>/dev/null
		wait "$stress" 2>/dev/null
		stress=
	fi
}
trap 'stop_stress' EXIT
trap 'exit 130' INT TERM HUP

# setsid without a fork (a background job of a shell without job control is
# no group leader): $! is stress-ng's pid and its process group's id.
# --timeout is only a backstop should this script be killed by SIGKILL.
setsid stress-ng --cpu 2 --timeout 4h --quiet </dev/null >"$logdir/stress-ng.log" 2>&1 &
stress=$!
echo "stress.sh: stress-ng --cpu 2 is pid $stress; $passes passes of make -j$jobs check${*:+ $*} at $commit"

i=1
status=0
while [ "$i" -le "$passes" ]; do
	start=$(date -u +%H:%M:%S)
	if make -j"$jobs" check "$@" >"$logdir/pass$i.log" 2>&1; then
		result=pass
	else
		result=FAIL
	fi
	end=$(date -u +%H:%M:%S)
	failed=$(sed -n 's/^\(FAIL\|ERROR\|XPASS\): \([^ ]*\).*/\2/p' "$logdir/pass$i.log" |
		sort -u | tr '\n' ' ')
	failed=${failed% }
	mkdir -p "$logdir/pass$i"
	find . -name test-suite.log -exec cp {} "$logdir/pass$i/" \;
	for t in $failed; do
		t=${t%.*}
		[ -f "$t.log" ] && cp "$t.log" "$logdir/pass$i/${t##*/}.log"
	done
	load=$(cut -d' ' -f1-3 /proc/loadavg)
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$i" "$commit" "$start" "$end" "$result" \
		"${failed:-}" "$load" >>"$logdir/summary.tsv"
	echo "stress.sh: pass $i $result ($start-$end UTC, load $load) ${failed:-}"
	if [ "$result" != pass ]; then
		status=1
		break
	fi
	i=$((i + 1))
done
stop_stress
exit $status
