#!/bin/sh
# bench/tls.sh - superd's TLS against nginx and lighttpd (mod_openssl) for
# HTTPS, and against stunnel4 in front of tcpserver for a TLS echo.  One
# run, short; every server on CPU 0 with one worker, the load on CPU 1; the
# same ECDSA P-256 certificate for all, and the protocol and cipher each
# server agreed on printed (they must be the same).  Not run by make check.
#
#   SUPERD_BIN=_build/dev/superd [TLSLOAD=_build/dev/bench/tlsload] \
#       bench/tls.sh [-d SECONDS] [-r REPEATS] [-s 'superd nginx lighttpd'] \
#       [-p POINTS]
#
# POINTS: any of 100b 4k 1m new reuse echo idle (default all).
# One line per point and server: the rate seen by the client, the server's
# CPU seconds (utime + stime of all its processes, /proc), and the rate per
# busy server-core second (the comparison that holds when the client is the
# limit): wrk with 50 keep-alive connections (100 B, 4 KiB, 1 MiB), new
# connections/s with a full handshake and resumed with a ticket (tlsload,
# one GET each), echo MB/s through one TLS connection, and memory per idle
# TLS connection (Pss and RSS growth of all the server's processes over
# 1000 handshaken, idle connections; measured first).  The HTTPS and handshake points run
# point by point, REPEATS times (default 3) with the servers' order rotated
# each time, so a drift of the machine's speed falls on every server alike;
# a summary gives each server's medians, the range, and superd's ratio to
# the best peer per busy server-core second.  A missing peer is left out.
# Nothing outlives the script.
set -u
DUR=5
REPS=3
ONLY="superd nginx lighttpd"
POINTS="100b 4k 1m new reuse echo idle"
while [ $# -gt 1 ]; do
	case $1 in
	-d) DUR=$2 ;;
	-r) REPS=$2 ;;
	-s) ONLY=$2 ;;
	-p) POINTS=$2 ;;
	*) echo "usage: $0 [-d SECONDS] [-r REPEATS] [-s SERVERS] [-p POINTS]" >&2; exit 2 ;;
	esac
	shift 2
done
HERE=$(cd "$(dirname "$0")" && pwd)
SUPERD_BIN=${SUPERD_BIN:-$HERE/../superd}
MODS=${SUPERD_MODULE_PATH:-$(dirname "$SUPERD_BIN")/.libs}
TLSLOAD=${TLSLOAD:-$(dirname "$SUPERD_BIN")/bench/tlsload}
HZ=$(getconf CLK_TCK)
ulimit -n 8192 2>/dev/null || ulimit -n 4096 2>/dev/null
W=$(mktemp -d /tmp/superd-tlsbench-XXXXXX)
chmod 755 "$W"
PIDS=""
cleanup() {
	# (dash's kill takes no "--": a negative number is the group)
	for p in $PIDS; do kill -TERM "-$p" 2>/dev/null; done
	sleep 0.3
	for p in $PIDS; do kill -KILL "-$p" 2>/dev/null; done
	rm -rf "$W"
}
trap cleanup EXIT INT TERM
want() { case " $2 " in *" $1 "*) return 0 ;; esac; return 1; }

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=localhost -keyout "$W/k.pem" -out "$W/c.pem" 2>/dev/null
cat "$W/c.pem" "$W/k.pem" >"$W/both.pem"
mkdir -p "$W/www"
head -c 100 /dev/zero | tr '\0' a >"$W/www/100b"
head -c 4096 /dev/zero | tr '\0' a >"$W/www/4k"
head -c 1048576 /dev/urandom >"$W/www/1m"

# start NAME CMD...: in its own process group (its id in PG_NAME), on CPU 0
start() {
	name=$1; shift
	setsid taskset -c 0 "$@" >"$W/$name.log" 2>&1 &
	PIDS="$PIDS $!"
	eval "PG_$name=$!"
}
wait_port() {
	i=0
	while [ $i -lt 100 ]; do
		(echo | timeout 1 openssl s_client -connect "127.0.0.1:$1" >/dev/null 2>&1) && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}

cat >"$W/superd.yaml" <<EOF
global: {workers: 1, log_level: warn, module_path: [$MODS]}
services:
  web:
    module: http
    listen: "127.0.0.1:20543"
    options: {root: $W/www, keepalive_timeout: 60}
    tls: {cert: c.pem, key: k.pem}
  echo:
    module: echo
    listen: "127.0.0.1:20544"
    tls: {cert: c.pem, key: k.pem}
EOF
want superd "$ONLY" && start superd "$SUPERD_BIN" -f "$W/superd.yaml"

cat >"$W/nginx.conf" <<EOF
daemon off; master_process on; worker_processes 1; pid $W/nginx.pid;
error_log $W/nginx-error.log warn;
worker_rlimit_nofile 8192;
events { worker_connections 4096; }
http {
	access_log off; sendfile on; tcp_nopush on; keepalive_requests 1000000;
	default_type application/octet-stream;
	client_body_temp_path $W/nb; proxy_temp_path $W/np; fastcgi_temp_path $W/nf;
	uwsgi_temp_path $W/nu; scgi_temp_path $W/ns;
	ssl_session_cache shared:S:1m; ssl_protocols TLSv1.2 TLSv1.3;
	server {
		listen 127.0.0.1:20545 ssl; root $W/www;
		ssl_certificate $W/c.pem; ssl_certificate_key $W/k.pem;
	}
}
EOF
want nginx "$ONLY" && command -v nginx >/dev/null &&
	start nginx nginx -c "$W/nginx.conf" -p "$W"

if want lighttpd "$ONLY" && [ -f /usr/lib/lighttpd/mod_openssl.so ]; then
	cat >"$W/lighttpd.conf" <<EOF
server.document-root = "$W/www"
server.bind = "127.0.0.1"
server.port = 20546
server.modules = ("mod_openssl")
server.max-fds = 8192
server.max-connections = 4096
server.max-keep-alive-requests = 1000000
server.max-keep-alive-idle = 60
ssl.engine = "enable"
ssl.pemfile = "$W/both.pem"
EOF
	start lighttpd lighttpd -D -f "$W/lighttpd.conf"
fi

if want echo "$POINTS" && command -v stunnel4 >/dev/null &&
	command -v tcpserver >/dev/null; then
	start tcpserver tcpserver -q -c 2000 127.0.0.1 20547 cat
	cat >"$W/stunnel.conf" <<EOF
foreground = yes
pid =
[echo]
accept = 127.0.0.1:20548
connect = 127.0.0.1:20547
cert = $W/c.pem
key = $W/k.pem
EOF
	start stunnel stunnel4 "$W/stunnel.conf"
fi

SERVERS=""
if want superd "$ONLY"; then
	wait_port 20543 || { echo "superd did not start"; cat "$W/superd.log"; exit 1; }
	SERVERS="superd:20543"
fi
want nginx "$ONLY" && wait_port 20545 && SERVERS="$SERVERS nginx:20545"
[ -f "$W/lighttpd.conf" ] && wait_port 20546 && SERVERS="$SERVERS lighttpd:20546"

# cpu_ticks PGID...: user + system ticks of every process in the groups,
# with the reaped children's (tcpserver's cat)
cpu_ticks() {
	total=0
	for g in "$@"; do
		for p in $(pgrep -g "$g"); do
			t=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null |
				awk '{print $12 + $13 + $14 + $15}')
			total=$((total + ${t:-0}))
		done
	done
	echo "$total"
}
# per_cpu COUNT TICKS: COUNT per busy server-core second
per_cpu() { awk "BEGIN { if ($2 > 0) printf \"%.0f\", $1 * $HZ / $2; else print \"?\" }"; }
pg_of() { eval "echo \${PG_$1:-}"; }
# agreed PORT: the protocol and cipher openssl s_client gets
agreed() {
	openssl s_client -connect "127.0.0.1:$1" -servername localhost </dev/null \
		2>/dev/null | awk '/^New, / {print $2, $5; exit}'
}
load() { taskset -c 1 "$@"; }

echo "# TLS bench, $DUR s per point, $REPS repeats, server on CPU 0, load on CPU 1"
for s in $SERVERS; do
	echo "# ${s%%:*} agrees on: $(agreed "${s##*:}")"
done

# memory per idle TLS connection: Pss and RSS of all the server's processes
# before and after 1000 idle, handshaken connections.  Measured first, on
# servers that have served nothing yet: after the other points each
# allocator reuses what those left free, by chance more or less.
mem_kb() {
	total=0
	for p in $(pgrep -g "$1"); do
		r=$(awk -v k="$2:" '$1 == k {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null)
		total=$((total + ${r:-0}))
	done
	echo $total
}
idle_point() {
	name=$1; pg=$2; port=$3
	pss0=$(mem_kb "$pg" Pss); rss0=$(mem_kb "$pg" Rss)
	load python3 - "$port" "$W/idle.$port" "$W/idle.$port.done" <<'EOF' &
import os, socket, ssl, sys, time
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
keep = [ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))))
        for _ in range(1000)]
open(sys.argv[2], "w").close()
end = time.time() + 30
while not os.path.exists(sys.argv[3]) and time.time() < end:
    time.sleep(0.05)
EOF
	client=$!
	i=0
	while [ ! -f "$W/idle.$port" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	sleep 0.5 # the server's last handshakes settle
	pss1=$(mem_kb "$pg" Pss); rss1=$(mem_kb "$pg" Rss)
	touch "$W/idle.$port.done"
	wait "$client" # (not a bare wait: the servers are children too)
	echo "tls.idle.memory $name $(awk "BEGIN {printf \"%.1f\", ($pss1 - $pss0) / 1000}")" \
		"kB/conn Pss ($(awk "BEGIN {printf \"%.1f\", ($rss1 - $rss0) / 1000}") RSS)"
}
if want idle "$POINTS"; then
	for s in $SERVERS; do
		name=${s%%:*}; port=${s##*:}
		idle_point "$name" "$(pg_of "$name")" "$port"
	done
fi

echo "# point server repeat rate unit server-cpu-s per-busy-server-core-second"
# measure POINT NAME PORT REPEAT: one line, also kept in $W/results
measure() {
	point=$1; name=$2; port=$3; pg=$(pg_of "$name"); extra=""
	t0=$(cpu_ticks "$pg")
	case $point in
	new|reuse)
		flag=""; [ "$point" = reuse ] && flag=-r
		out=$(load "$TLSLOAD" -p "$port" -d "$DUR" -c 2 $flag -g /100b)
		n=$(echo "$out" | sed -n 's/.*conns=\([0-9]*\).*/\1/p')
		r=$(echo "$out" | sed -n 's/.*rate=\([0-9]*\).*/\1/p')
		res=$(echo "$out" | sed -n 's/.*resumed=\([0-9]*\).*/\1/p')
		label=tls.handshake.$point unit=conn/s
		extra="(resumed ${res:-?} of ${n:-?})" ;;
	*)
		out=$(load wrk -t1 -c50 -d"${DUR}s" "https://127.0.0.1:$port/$point" 2>/dev/null)
		n=$(echo "$out" | awk '/requests in/ {print $1}')
		r=$(echo "$out" | awk '/Requests\/sec/ {printf "%.0f", $2}')
		label=https.$point.keepalive.c50 unit=req/s ;;
	esac
	t1=$(cpu_ticks "$pg")
	line="$label $name $4 ${r:-?} $unit $(awk "BEGIN {print ($t1 - $t0) / $HZ}")"
	line="$line $(per_cpu "${n:-0}" $((t1 - t0)))"
	echo "$line $extra"
	echo "$line" >>"$W/results"
}
: >"$W/results"
for point in 100b 4k 1m new reuse; do
	want "$point" "$POINTS" || continue
	case $point in new|reuse) [ -x "$TLSLOAD" ] || continue ;; esac
	rep=1
	while [ "$rep" -le "$REPS" ]; do
		# repeat k starts with the k-th server
		set -- $SERVERS
		k=1
		while [ "$k" -lt "$rep" ]; do
			first=$1; shift; set -- "$@" "$first"; k=$((k + 1))
		done
		for s in "$@"; do measure "$point" "${s%%:*}" "${s##*:}" "$rep"; done
		rep=$((rep + 1))
	done
done
# the summary: per point and server the median rate, the median per busy
# server-core second and its range; then superd's ratio to the best peer
if [ -s "$W/results" ]; then
	echo "# summary: point server median-rate unit median-per-core [min-max]"
	awk '
	function median(list,   a, n, i, j, t) {
		n = split(list, a, " ")
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
			if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
		lo = a[1]; hi = a[n]
		return a[int((n + 1) / 2)]
	}
	{
		k = $1 " " $2
		if (!(k in rate)) { keys[++nk] = k; unit[k] = $5 }
		if (!($1 in seen)) { seen[$1] = 1; pts[++np] = $1 }
		rate[k] = rate[k] " " $4; pc[k] = pc[k] " " $7
	}
	END {
		for (i = 1; i <= nk; i++) {
			k = keys[i]; r = median(rate[k]); m = median(pc[k])
			med[k] = m
			printf "%s %s %s %s [%s-%s]\n", k, r, unit[k], m, lo, hi
		}
		for (i = 1; i <= np; i++) {
			best = 0; bn = ""
			for (j = 1; j <= nk; j++) {
				split(keys[j], kk, " ")
				if (kk[1] == pts[i] && kk[2] != "superd" && med[keys[j]] + 0 > best) {
					best = med[keys[j]] + 0; bn = kk[2]
				}
			}
			if (best > 0 && ((pts[i] " superd") in med))
				printf "%s superd/best-peer %.2fx %s\n", pts[i], med[pts[i] " superd"] / best, bn
		}
	}' "$W/results"
fi

# echo streaming: 64 MiB through TLS and back, one connection
echo_mb() {
	load python3 - "$1" <<'EOF'
import socket, ssl, sys, time
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))))
blk = b"x" * 65536; n = 1024; got = 0; t0 = time.time()
s.setblocking(False)
sent = 0; pend = b""
while got < n * len(blk):
    if sent < n and not pend:
        pend = blk; sent += 1
    try:
        if pend:
            k = s.send(pend); pend = pend[k:]
    except (ssl.SSLWantWriteError, ssl.SSLWantReadError, BlockingIOError):
        pass
    try:
        while True:
            b = s.recv(262144)
            if not b: break
            got += len(b)
    except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
        pass
print("%.0f %.1f" % (got / (time.time() - t0) / 1e6, got / 1e6))
EOF
}
# echo_point NAME PORT PGID...
echo_point() {
	name=$1; port=$2; shift 2
	echo "# $name (echo) agrees on: $(agreed "$port")"
	t0=$(cpu_ticks "$@")
	out=$(echo_mb "$port")
	t1=$(cpu_ticks "$@")
	echo "tls.echo.stream $name ${out%% *} MB/s" \
		"$(awk "BEGIN {print ($t1 - $t0) / $HZ}")" "$(per_cpu "${out##* }" $((t1 - t0)))"
}
if want echo "$POINTS"; then
	want superd "$ONLY" && echo_point superd 20544 "$(pg_of superd)"
	[ -f "$W/stunnel.conf" ] && wait_port 20548 &&
		echo_point stunnel4+tcpserver 20548 "$(pg_of stunnel)" "$(pg_of tcpserver)"
fi

