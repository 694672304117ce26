#!/bin/sh
# run.sh - run one fuzz target (the http parser's by default) for a
# bounded time.
# Usage: tests/fuzz/run.sh [FUZZER [SECONDS]]
# Needs a build configured with --enable-fuzz CC=clang.  The corpus is
# seeded for the target (by its name) and kept in a temporary directory.
set -eu
fuzzer=${1:-./tests/fuzz/fuzz_http_parse}
seconds=${2:-${FUZZ_SECONDS:-60}}
[ -x "$fuzzer" ] || { echo "run.sh: $fuzzer not built (configure --enable-fuzz CC=clang)" >&2; exit 1; }
corpus=$(mktemp -d "${TMPDIR:-/tmp}/superd-fuzz.XXXXXX")
trap 'rm -rf "$corpus"' EXIT INT TERM
case $(basename "$fuzzer") in
*proxy*)
	printf 'PROXY TCP4 192.0.2.1 127.0.0.1 5000 80\r\nGET /' > "$corpus/v1"
	printf 'PROXY TCP6 2001:db8::1 ::1 5000 80\r\n' > "$corpus/v1_6"
	printf '\r\n\r\n\000\r\nQUIT\n\041\021\000\017\300\000\002\001\177\000\000\001\303\120\001\273\004\000\000' > "$corpus/v2"
	exec "$fuzzer" -max_total_time="$seconds" -max_len=5000 -timeout=10 \
		-rss_limit_mb=1024 -print_final_stats=1 "$corpus" ;;
fuzz_http_date)
	printf 'Sun, 06 Nov 1994 08:49:37 GMT' > "$corpus/imf"
	printf 'Sunday, 06-Nov-94 08:49:37 GMT' > "$corpus/rfc850"
	printf 'Sun Nov  6 08:49:37 1994' > "$corpus/asctime"
	;;
fuzz_http_range)
	# 5 bytes of size, 1 split byte, then Range + a conditional value
	printf '\000\000\000\004\000\023bytes=0-1,5-7,-2"5f00-1a"' > "$corpus/multi"
	printf '\000\000\001\000\000\015bytes=9-,0-4W/"x", *' > "$corpus/weak"
	printf '\000\000\000\000\100\016bytes=-100,2-3Sun, 06 Nov 1994 08:49:37 GMT' > "$corpus/date"
	;;
fuzz_http_cgihead)
	printf '\006Content-Type: text/plain\nStatus: 201 Made\nX-A: b\n\nbody' > "$corpus/doc"
	printf '\007Location: http://h/x\r\nContent-Length: 3\r\n\r\nabc' > "$corpus/redirect"
	printf '\001HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nnph' > "$corpus/nph"
	;;
*)
	printf '\001GET / HTTP/1.1\r\nHost: a\r\n\r\n' > "$corpus/get"
	printf '\003POST /x.cgi?q HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;e=1\r\nhello\r\n0\r\nT: x\r\n\r\n' > "$corpus/chunked"
	printf '\002GET http://h:1/p HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 3, 3\r\n\r\nabc' > "$corpus/absolute"
	printf '\000OPTIONS * HTTP/1.1\r\nHost: [::1]:8\r\nRange: bytes=1-2\r\n\r\n' > "$corpus/options"
	;;
esac
exec "$fuzzer" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
	-rss_limit_mb=1024 -print_final_stats=1 "$corpus"
