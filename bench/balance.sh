#!/bin/bash
# balance.sh - how evenly superd's workers share the load, and what that
# is worth: superd with 2 workers, once with one listening socket shared by
# the workers (SUPERD_REUSEPORT=0, the old way) and once with a
# SO_REUSEPORT socket per worker (the default).  For each: daytime
# connections/s (sdload conn, 50 clients) and HTTP 100 B requests/s (wrk,
# 50 keep-alive connections, when wrk is installed), and the spread: how
# many connections each worker served (from the JSON log's pid field).
#
#   SUPERD_BIN=_build/dev/superd bench/balance.sh [-d SECONDS]
#
# Nothing is pinned (two workers need two cores), so on a shared machine
# the throughput moves with the neighbours' load; the spread does not.
# Ports 20190-20191 on 127.0.0.1 must be free.  Not run by `make check`.

HERE=$(cd "$(dirname "$0")" && pwd)
DUR=5
[ "$1" = "-d" ] && DUR=$2
BIN=${SUPERD_BIN:-$HERE/../superd}
[ -x "$BIN" ] || BIN=$(command -v superd) || { echo "balance.sh: no superd" >&2; exit 1; }
export SUPERD_MODULE_PATH="${SUPERD_MODULE_PATH:-$(dirname "$BIN")/.libs}"
WORK=$(mktemp -d /tmp/superd-balance.XXXXXX) || exit 1
PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

${CC:-cc} -O2 -o "$WORK/sdload" "$HERE/sdload.c" || exit 1
head -c 100 /dev/zero | tr '\0' x > "$WORK/100b.txt"
cat > "$WORK/superd.yaml" <<EOC
global:
  workers: 2
  log_format: json
services:
  daytime: {module: daytime, listen: "127.0.0.1:20190"}
  web: {module: http, listen: "127.0.0.1:20191", options: {root: "$WORK"}}
EOC

# spread SERVICE: "N1/N2" connections per worker, from the log.
spread() {
	grep "\"service\":\"$1\".*\"outcome\"" "$WORK/log" |
		sed 's/.*"pid":\([0-9]*\).*/\1/' | sort | uniq -c |
		awk '{ n[NR] = $1 } END { s = n[1]; for (i = 2; i <= NR; i++) s = s "/" n[i]; print s }'
}

# wait_port PORT: until it accepts (bounded).
wait_port() {
	i=0
	while ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 100 ] && return 1
		sleep 0.05
	done
}

printf '%-10s %16s %-12s %16s %-12s\n' sockets "daytime conn/s" spread "http 100B req/s" spread
for mode in shared reuseport; do
	[ $mode = shared ] && rp=0 || rp=1
	: > "$WORK/log"
	SUPERD_REUSEPORT=$rp "$BIN" -f "$WORK/superd.yaml" 2>>"$WORK/log" &
	PID=$!
	wait_port 20190 && wait_port 20191 || { echo "superd did not start" >&2; exit 1; }
	: > "$WORK/log"
	d=$("$WORK/sdload" conn -H 127.0.0.1 -p 20190 -P daytime -c 50 -d "$DUR" -w 0.5 |
		sed 's/.*rate=\([0-9.]*\).*/\1/')
	ds=$(spread daytime)
	h=- hs=-
	if command -v wrk >/dev/null; then
		h=$(wrk -t1 -c50 -d"${DUR}s" http://127.0.0.1:20191/100b.txt |
			awk '/Requests\/sec/ { print $2 }')
		kill "$PID"; wait "$PID"; PID=
		hs=$(spread web)
	fi
	[ -n "$PID" ] && { kill "$PID"; wait "$PID"; PID=; }
	printf '%-10s %16s %-12s %16s %-12s\n' $mode "$d" "$ds" "$h" "$hs"
done
