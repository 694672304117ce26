#!/bin/sh
# bootstrap.sh - set up a fresh Debian 12 machine (as root) and either run
# superd or run the whole test suite.  The two commands of README.md:
#
#   ./bootstrap.sh run    install what is missing, build, install into
#                         /usr/local, run `superd -f etc/superd.yaml` in the
#                         foreground (Ctrl-C stops it)
#   ./bootstrap.sh test   install what is missing, then: build with -Werror
#                         and run `make check` (unit tests + integration tests
#                         on every event backend), the same under ASan+UBSan,
#                         a build without OpenSSL and libseccomp and
#                         `make distcheck` (both on the epoll backend), the
#                         HTTP fuzz targets for a bounded time, and the
#                         .deb/.rpm packaging builds; each stage's heading
#                         says how many seconds in it starts
#
# Environment: JOBS (parallel make jobs, default: CPUs), FUZZ_SECONDS
# (default 60), SKIP_PACKAGING=1 / SKIP_FUZZ=1 / SKIP_ASAN=1 / SKIP_MINIMAL=1 to shorten a
# local run (CI sets none of them).
set -eu

top=$(cd "$(dirname "$0")" && pwd)
cd "$top"
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}

# Debian packages needed to build superd and run its tests.
BUILD_PKGS="autoconf automake libtool pkg-config make gcc libc6-dev libyaml-dev check python3
	libssl-dev libseccomp-dev"
TEST_PKGS="curl openssl haproxy prometheus testssl.sh chromium chromium-driver
	stress-ng netcat-openbsd clang libclang-rt-14-dev systemd procps util-linux iproute2 groff mandoc
	man-db build-essential debhelper dpkg-dev fakeroot lintian rpm python3-yaml logrotate xinetd"
# The peers and load tools of bench/ (run.sh, tls.sh): `./bootstrap.sh bench-deps`.
BENCH_PKGS="xinetd ucspi-tcp lighttpd lighttpd-mod-openssl nginx-light wrk apache2-utils
	stunnel4 linux-perf"

# install_missing PKG...: apt-get install only what dpkg does not have.
install_missing() {
	missing=""
	for p in "$@"; do
		st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		case "$st" in
		*" installed") ;;
		*) missing="$missing $p" ;;
		esac
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "bootstrap: missing packages:$missing (run as root to install them)" >&2
		exit 1
	fi
	echo "bootstrap: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
}

# stage TEXT: a stage's heading, with the seconds since the start (CI
# keeps only the output: this says where the time goes).
started=$(date +%s)
stage() {
	echo "== $1 (at $(( $(date +%s) - started )) s)"
}

# configure_in DIR ARGS...: a fresh out-of-tree build directory.
configure_in() {
	dir=$1
	shift
	rm -rf "$dir"
	mkdir -p "$dir"
	(cd "$dir" && "$top/configure" "$@")
}

do_run() {
	install_missing $BUILD_PKGS
	[ -x configure ] || ./autogen.sh
	# Out of tree, so a later `./bootstrap.sh test` still finds a clean tree.
	[ -f _build/run/Makefile ] || configure_in _build/run --prefix=/usr/local
	make -C _build/run -j"$JOBS"
	make -C _build/run install
	echo "bootstrap: starting superd -f etc/superd.yaml (Ctrl-C to stop)"
	exec /usr/local/sbin/superd -f etc/superd.yaml
}

do_test() {
	# shellcheck disable=SC2086
	install_missing $BUILD_PKGS $TEST_PKGS
	./autogen.sh

	stage "build with -Werror, make check"
	configure_in _build/check --enable-werror
	make -C _build/check -j"$JOBS"
	make -C _build/check -j"$JOBS" check || { cat_failed _build/check; exit 1; }

	if [ "${SKIP_ASAN:-0}" != 1 ]; then
		stage "ASan + UBSan build, make check"
		configure_in _build/asan --enable-werror \
			CFLAGS="-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
			LDFLAGS="-fsanitize=address,undefined"
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		SUPERD_SANITIZED=1 \
			make -C _build/asan -j"$JOBS" check || { cat_failed _build/asan; exit 1; }
	fi

	if [ "${SKIP_MINIMAL:-0}" != 1 ]; then
		# The build without the optional libraries still works: TLS tests
		# skip saying why, and `tls:` is a configuration error there.
		# Every event backend ran above: this one is about the libraries.
		stage "build without OpenSSL and libseccomp, make check (epoll)"
		configure_in _build/minimal --without-openssl --without-libseccomp --enable-werror
		make -C _build/minimal -j"$JOBS"
		SUPERD_TEST_BACKENDS=epoll make -C _build/minimal -j"$JOBS" check ||
			{ cat_failed _build/minimal; exit 1; }
	fi

	# The tarball builds and passes the suite (on epoll: every backend
	# ran above).
	stage "make distcheck (epoll)"
	SUPERD_TEST_BACKENDS=epoll make -C _build/check -j"$JOBS" distcheck \
		DISTCHECK_CONFIGURE_FLAGS=--enable-werror

	if [ "${SKIP_FUZZ:-0}" != 1 ]; then
		stage "fuzz the HTTP parsers: request, CGI header, Range and conditionals, dates (${FUZZ_SECONDS:-60} s in all)"
		configure_in _build/fuzz --enable-fuzz CC=clang
		# `make fuzz` builds the targets and runs each for its share (tests/fuzz/run.sh).
		FUZZ_SECONDS=${FUZZ_SECONDS:-60} make -C _build/fuzz -j"$JOBS" fuzz
	fi

	if [ "${SKIP_PACKAGING:-0}" != 1 ]; then
		stage "packaging: .deb (lintian) and .rpm"
		sh tests/packaging.sh "$top/_build/check"
	fi
	echo "bootstrap: all tests passed ($(( $(date +%s) - started )) s)"
}

# cat_failed DIR: show the logs of failed tests (CI keeps only the output).
cat_failed() {
	find "$1" -name '*.trs' -exec grep -l -E '^:test-result: (FAIL|ERROR)' {} + 2>/dev/null |
		while read -r trs; do
			echo "---- ${trs%.trs}.log"
			tail -n 80 "${trs%.trs}.log"
		done
}

case "${1:-}" in
run) do_run ;;
test) do_test ;;
# shellcheck disable=SC2086
bench-deps) install_missing $BENCH_PKGS ;;
*)
	echo "usage: $0 run|test|bench-deps" >&2
	exit 2
	;;
esac
