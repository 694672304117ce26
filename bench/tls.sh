#!/bin/sh
# bench/tls.sh - superd's TLS against nginx and lighttpd (mod_openssl) for
# HTTPS, and against stunnel4 in front of tcpserver for a TLS echo.  One
# run, short; every server on CPU 0 with one worker, the load on CPU 1; the
# same ECDSA P-256 certificate and TLS 1.3 for all.  Not run by make check.
#
#   SUPERD_BIN=_build/dev/superd bench/tls.sh [-d SECONDS]
#
# Prints one line per scenario and server: requests/s (wrk, 50 keep-alive
# connections: 100 B, 4 KiB, 1 MiB), new connections/s (openssl s_time,
# full handshake and resumed), echo MB/s through TLS, and kB of server
# memory per idle TLS connection (RSS growth over 1000 of them / 1000).
# A missing peer is left out.  Nothing outlives the script.
set -u
DUR=5
[ "${1:-}" = "-d" ] && DUR=$2
HERE=$(cd "$(dirname "$0")" && pwd)
SUPERD_BIN=${SUPERD_BIN:-$HERE/../superd}
MODS=${SUPERD_MODULE_PATH:-$(dirname "$SUPERD_BIN")/.libs}
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

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=localhost -keyout "$W/k.pem" -out "$W/c.pem" 2>/dev/null
cat "$W/c.pem" "$W/k.pem" >"$W/both.pem"
mkdir -p "$W/www"
head -c 100 /dev/zero | tr '\0' a >"$W/www/100b.txt"
head -c 4096 /dev/zero | tr '\0' a >"$W/www/4k.txt"
head -c 1048576 /dev/urandom >"$W/www/1m.bin"

# start NAME CMD...: in its own process group, pinned to CPU 0
start() {
	name=$1; shift
	setsid taskset -c 0 "$@" >"$W/$name.log" 2>&1 &
	PIDS="$PIDS $!"
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
start superd "$SUPERD_BIN" -f "$W/superd.yaml"

cat >"$W/nginx.conf" <<EOF
daemon off; master_process on; worker_processes 1; pid $W/nginx.pid;
error_log $W/nginx-error.log warn;
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
command -v nginx >/dev/null && start nginx nginx -c "$W/nginx.conf" -p "$W"

if [ -f /usr/lib/lighttpd/mod_openssl.so ]; then
	cat >"$W/lighttpd.conf" <<EOF
server.document-root = "$W/www"
server.bind = "127.0.0.1"
server.port = 20546
server.modules = ("mod_openssl")
server.max-keep-alive-requests = 1000000
server.max-keep-alive-idle = 60
ssl.engine = "enable"
ssl.pemfile = "$W/both.pem"
EOF
	start lighttpd lighttpd -D -f "$W/lighttpd.conf"
fi

if command -v stunnel4 >/dev/null && command -v tcpserver >/dev/null; then
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

SERVERS="superd:20543"
wait_port 20543 || { echo "superd did not start"; cat "$W/superd.log"; exit 1; }
wait_port 20545 && SERVERS="$SERVERS nginx:20545"
[ -f "$W/lighttpd.conf" ] && wait_port 20546 && SERVERS="$SERVERS lighttpd:20546"

load() { taskset -c 1 "$@"; }
echo "# TLS bench, $DUR s per point, server on CPU 0, load on CPU 1 (shared machine)"
for s in $SERVERS; do
	name=${s%%:*}; port=${s##*:}
	for f in 100b.txt 4k.txt 1m.bin; do
		r=$(load wrk -t1 -c50 -d"${DUR}s" "https://127.0.0.1:$port/$f" 2>/dev/null |
			awk '/Requests\/sec/ {print $2}')
		echo "https.$f.keepalive.c50 $name ${r:-?} req/s"
	done
	for mode in new reuse; do
		c=$(load openssl s_time -connect "127.0.0.1:$port" -$mode -time "$DUR" 2>/dev/null |
			awk '/connections in [0-9.]+ real seconds/ {printf "%.0f", $1 / $4; exit}')
		echo "tls.handshake.$mode $name ${c:-?} conn/s"
	done
done

# echo streaming: 64 MiB through TLS and back, one connection
echo_mbs() {
	load python3 - "$1" <<'EOF'
import socket, ssl, sys, time, threading
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))))
blk = b"x" * 65536; n = 1024; got = 0; t0 = time.time()
s.setblocking(True)
import selectors
sel = selectors.DefaultSelector(); s.setblocking(False)
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
print("%.0f" % (got / (time.time() - t0) / 1e6))
EOF
}
echo "tls.echo.stream superd $(echo_mbs 20544) MB/s"
wait_port 20548 && echo "tls.echo.stream stunnel4+tcpserver $(echo_mbs 20548) MB/s"

# memory per idle TLS connection: RSS of the server's processes before and
# after 1000 idle, handshaken connections
rss_kb() {
	total=0
	for p in $(pgrep -g "$1"); do
		r=$(awk '/^VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null)
		total=$((total + ${r:-0}))
	done
	echo $total
}
idle_kb() {
	pg=$1; port=$2
	before=$(rss_kb "$pg")
	load python3 - "$port" "$W/idle.$port" <<'EOF' &
import socket, ssl, sys, time
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
keep = [ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))))
        for _ in range(1000)]
open(sys.argv[2], "w").close()
time.sleep(4)
EOF
	i=0
	while [ ! -f "$W/idle.$port" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	sleep 0.5
	after=$(rss_kb "$pg")
	wait
	echo "$(( (after - before) ))"
}
set -- $PIDS
for s in $SERVERS; do
	name=${s%%:*}; port=${s##*:}
	case $name in superd) pg=$1 ;; nginx) pg=$2 ;; lighttpd) pg=$3 ;; esac
	kb=$(idle_kb "$pg" "$port")
	echo "tls.idle.memory $name $(awk "BEGIN {printf \"%.1f\", $kb / 1000}") kB/conn"
done
