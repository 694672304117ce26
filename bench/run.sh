#!/bin/bash
# bench/run.sh - superd side by side with its peers, in one run.
#
# Classic services: superd vs xinetd (Debian package, internal services,
# bench/peers/xinetd.conf) vs tcpserver (ucspi-tcp, running cat), and
# refsrv (bench/refsrv.c: the services on a bare epoll loop, a reference
# for what an event loop costs, not a peer: no ratio is taken to it).  HTTP:
# superd vs lighttpd (mod_cgi) vs nginx.  Every server runs pinned to CPU 0,
# the load tool (bench/sdload.c, wrk, ab) to CPU 1; scenarios run one after
# the other and, inside a scenario, the repeats are interleaved (repeat 1 of
# every server, then repeat 2 with the order rotated, ...).  CPU 0/1 busy
# time comes from /proc/stat, so throughput can also be given per busy
# server-core second.  At the end: VmHWM of every server process (superd's
# master and each worker).  Output: a Markdown report (bench/report.py) with
# medians, spreads and ratios to the best peer; raw data in the out dir.
#
# Usage: bench/run.sh [--quick] [--scen PATTERNS] [-d SECONDS] [-r REPEATS]
#                     [--sut LIST] [--out DIR] [--list]
#   SUPERD_BIN (default: ../superd from this script, else `superd` in PATH)
#   and SUPERD_MODULE_PATH (default: the .libs beside SUPERD_BIN) say which
#   superd to measure.  Ports 20000-20499 on 127.0.0.1 must be free.
# Nothing started here outlives the script (each server is a process group,
# killed on exit by its id).  Not run by `make check`.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
DUR=5
REPS=3
SCEN='*'
SUTS='superd,xinetd,tcpserver,refsrv,lighttpd,nginx'
OUT=
LIST=0

usage() {
	sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'
	exit "${1:-0}"
}

while [ $# -gt 0 ]; do
	case "$1" in
	--quick) DUR=2; REPS=1 ;;
	--scen) SCEN=$2; shift ;;
	-d) DUR=$2; shift ;;
	-r) REPS=$2; shift ;;
	--sut) SUTS=$2; shift ;;
	--out) OUT=$2; shift ;;
	--list) LIST=1 ;;
	-h|--help) usage 0 ;;
	*) echo "run.sh: unknown argument $1" >&2; usage 2 ;;
	esac
	shift
done

# ------------------------------------------------------------ scenarios
# name | servers it applies to
SCENARIOS='
tcp.daytime.conn50|superd xinetd refsrv
tcp.time.conn50|superd xinetd refsrv
tcp.daytime-acl.conn50|superd
tcp.echo.conn50|superd xinetd tcpserver refsrv
tcp.exec.conn50|superd xinetd tcpserver
tcp.echo.pingpong1|superd xinetd tcpserver refsrv
tcp.echo.pingpong50|superd xinetd tcpserver refsrv
tcp.echo.stream1|superd xinetd tcpserver refsrv
tcp.chargen.stream1|superd xinetd refsrv
tcp.discard.stream1|superd xinetd refsrv
udp.echo.c1|superd xinetd refsrv
udp.echo.c10|superd xinetd refsrv
http.100b.wrk.c50|superd lighttpd nginx
http.100b.wrk.c500|superd lighttpd nginx
http.4k.wrk.c50|superd lighttpd nginx
http.4k.wrk.c500|superd lighttpd nginx
http.1m.wrk.c50|superd lighttpd nginx
http.100b.ab.c50|superd lighttpd nginx
http.dir1000.wrk.c50|superd lighttpd nginx
http.cgi-sh.wrk.c50|superd lighttpd
http.cgi-c.wrk.c50|superd lighttpd
'

if [ "$LIST" = 1 ]; then
	echo "$SCENARIOS" | sed '/^$/d' | tr '|' '\t'
	exit 0
fi

# Does scenario $1 match one of the comma-separated globs in $SCEN?
scen_selected() {
	local pat pats
	IFS=, read -r -a pats <<<"$SCEN"
	for pat in "${pats[@]}"; do
		# shellcheck disable=SC2254
		case "$1" in $pat) return 0 ;; esac
	done
	return 1
}

sut_selected() {
	case ",$SUTS," in *",$1,"*) return 0 ;; esac
	return 1
}

# ------------------------------------------------------------ set-up
log() { printf '%s\n' "$*" >&2; }

# One benchmark at a time on this machine (same ports, same CPUs): a second
# run waits for the first (up to 30 minutes).
exec 9>>/tmp/superd-bench.lock
if ! flock -w 1800 9; then
	log "run.sh: another run holds /tmp/superd-bench.lock"
	exit 1
fi
for p in 20007 20107 20227 20307 20380 20480; do
	if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
		log "run.sh: something already listens on 127.0.0.1:$p (a leftover server?)"
		exit 1
	fi
done

WORK=$(mktemp -d /tmp/superd-bench.XXXXXX) || exit 1
chmod 755 "$WORK"   # nginx workers run as nobody: the docroot must be reachable
[ -n "$OUT" ] || OUT=$WORK/out
mkdir -p "$OUT"
GROUPS_STARTED=()

cleanup() {
	local pg
	trap - EXIT INT TERM
	for pg in "${GROUPS_STARTED[@]}"; do
		kill -TERM -- "-$pg" 2>/dev/null
	done
	sleep 0.3
	for pg in "${GROUPS_STARTED[@]}"; do
		kill -KILL -- "-$pg" 2>/dev/null
	done
	wait 2>/dev/null
	if [ "$OUT" != "$WORK/out" ]; then
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

need() {
	command -v "$1" >/dev/null 2>&1
}

for t in taskset timeout; do
	need "$t" || { log "run.sh: $t is required"; exit 1; }
done

if [ -z "${SUPERD_BIN:-}" ]; then
	if [ -x "$HERE/../superd" ]; then
		SUPERD_BIN=$HERE/../superd
	else
		SUPERD_BIN=$(command -v superd || true)
	fi
fi
if [ -z "${SUPERD_MODULE_PATH:-}" ] && [ -n "$SUPERD_BIN" ]; then
	SUPERD_MODULE_PATH=$(dirname "$SUPERD_BIN")/.libs
fi
export SUPERD_MODULE_PATH

CC=${CC:-cc}
SDLOAD=$WORK/sdload
$CC -O2 -o "$SDLOAD" "$HERE/sdload.c" || { log "run.sh: cannot build sdload"; exit 1; }
REFSRV=$WORK/refsrv
$CC -O2 -o "$REFSRV" "$HERE/refsrv.c" || { log "run.sh: cannot build refsrv"; REFSRV=; }

# The docroot: small and large files, a 1000-entry directory, two CGIs.
make_docroot() {
	local d=$WORK/docroot i
	mkdir -p "$d/dir1000/subdir" "$d/cgi-bin"
	head -c 100 /dev/urandom >"$d/100.bin"
	head -c 4096 /dev/urandom >"$d/4k.bin"
	head -c 1048576 /dev/urandom >"$d/1m.bin"
	for i in $(seq -w 1 999); do
		: >"$d/dir1000/file-$i.txt"
	done
	printf '<html><body>bench</body></html>\n' >"$d/index.html"
	cat >"$d/cgi-bin/hello-sh.cgi" <<'EOS'
#!/bin/sh
printf 'Content-Type: text/plain\r\nContent-Length: 100\r\nX-Bench: sh\r\nCache-Control: no-cache\r\n\r\n'
printf '%0100d' 0
EOS
	cat >"$WORK/hello.c" <<'EOS'
#include <stdio.h>
int main(void)
{
	fputs("Content-Type: text/plain\r\nContent-Length: 100\r\nX-Bench: c\r\n"
	      "Cache-Control: no-cache\r\n\r\n", stdout);
	for (int i = 0; i < 100; i++)
		putchar('0');
	return 0;
}
EOS
	$CC -O2 -static -o "$d/cgi-bin/hello-c.cgi" "$WORK/hello.c" 2>/dev/null ||
		$CC -O2 -o "$d/cgi-bin/hello-c.cgi" "$WORK/hello.c"
	chmod 755 "$d/cgi-bin/"*.cgi
	DOCROOT=$d
}
make_docroot

# Start a server NAME (the rest: its command) in its own process group,
# pinned to CPU 0, output in $OUT/NAME.log.  Sets PID_NAME.
start_server() {
	local name=$1
	shift
	local pid i
	rm -f "$WORK/$name.pid"
	# setsid forks when the caller is a group leader: the server writes its
	# own pid (it leads its new session and group) before exec'ing.
	setsid sh -c 'echo $$ >"$0"; exec taskset -c 0 "$@"' "$WORK/$name.pid" "$@" \
		>"$OUT/$name.log" 2>&1 </dev/null &
	for i in $(seq 50); do
		[ -s "$WORK/$name.pid" ] && break
		sleep 0.02
	done
	pid=$(cat "$WORK/$name.pid" 2>/dev/null)
	[ -n "$pid" ] || { log "run.sh: $name did not start"; return 1; }
	GROUPS_STARTED+=("$pid")
	printf -v "PID_${name//-/_}" '%s' "$pid"
}

# Wait until 127.0.0.1:$1 accepts (up to 5 s).
wait_port() {
	local i
	for i in $(seq 50); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

subst() {
	sed -e "s|@DOCROOT@|$DOCROOT|g" -e "s|@WORK@|$WORK|g" -e "s|@PORT@|$2|g" "$1"
}

AVAILABLE=()

start_superd() {
	local conf=$WORK/superd.yaml
	if [ -z "$SUPERD_BIN" ] || [ ! -x "$SUPERD_BIN" ]; then
		log "run.sh: no superd binary (set SUPERD_BIN): superd left out"
		return
	fi
	subst "$HERE/peers/superd.yaml" 0 >"$conf.full"
	cp "$conf.full" "$conf"
	[ -e "$SUPERD_MODULE_PATH/exec.so" ] || sed -i '/# @EXEC@/d' "$conf"
	[ -e "$SUPERD_MODULE_PATH/http.so" ] || sed -i '/# @HTTP@/d' "$conf"
	if ! "$SUPERD_BIN" -t -f "$conf" >"$OUT/superd-check.log" 2>&1; then
		sed -i '/# @CONTROLS@/d' "$conf"
		if ! "$SUPERD_BIN" -t -f "$conf" >"$OUT/superd-check.log" 2>&1; then
			log "run.sh: superd -t refuses the bench config: $(head -3 "$OUT/superd-check.log")"
			return
		fi
		log "run.sh: the daytime-acl service is left out (superd -t refused it)"
	fi
	start_server superd "$SUPERD_BIN" -f "$conf"
	wait_port 20113 || { log "run.sh: superd did not start: $(tail -3 "$OUT/superd.log")"; return; }
	AVAILABLE+=(superd)
}

start_peers() {
	if sut_selected superd; then start_superd; fi
	if sut_selected xinetd && need xinetd; then
		start_server xinetd xinetd -dontfork -f "$HERE/peers/xinetd.conf" -pidfile "$WORK/xinetd.pid"
		wait_port 20013 && AVAILABLE+=(xinetd)
	fi
	if sut_selected tcpserver && need tcpserver; then
		start_server tcpserver tcpserver -c 10000 -b 1024 -HRl0 127.0.0.1 20227 cat
		wait_port 20227 && AVAILABLE+=(tcpserver)
	fi
	if sut_selected refsrv && [ -n "$REFSRV" ]; then
		start_server refsrv "$REFSRV" 20300
		wait_port 20313 && AVAILABLE+=(refsrv)
	fi
	if sut_selected lighttpd && need lighttpd; then
		subst "$HERE/peers/lighttpd.conf" 20380 >"$WORK/lighttpd.conf"
		start_server lighttpd lighttpd -D -f "$WORK/lighttpd.conf"
		wait_port 20380 && AVAILABLE+=(lighttpd)
	fi
	if sut_selected nginx && need nginx; then
		subst "$HERE/peers/nginx.conf" 20480 >"$WORK/nginx.conf"
		start_server nginx nginx -c "$WORK/nginx.conf" -p "$WORK"
		wait_port 20480 && AVAILABLE+=(nginx)
	fi
	log "run.sh: servers up: ${AVAILABLE[*]}"
}

# Before measuring HTTP: every server must give the same, complete answers
# (wrk counts only statuses).  Results in $OUT/preflight.txt; a server that
# fails a check is still measured, and the report says so.
http_preflight() {
	local sut p url want got
	command -v curl >/dev/null 2>&1 || { log "run.sh: no curl: HTTP answers not checked"; return; }
	for sut in superd lighttpd nginx; do
		is_available "$sut" || continue
		p=$(http_port "$sut")
		for url in /100.bin:100 /4k.bin:4096 /1m.bin:1048576 /cgi-bin/hello-sh.cgi:100 \
		           /cgi-bin/hello-c.cgi:100 /dir1000/:list; do
			want=${url#*:}
			url=${url%%:*}
			case "$sut:$url" in nginx:/cgi-bin/*) continue ;; esac  # nginx has no CGI
			if [ "$want" = list ]; then
				got=$(curl -s "http://127.0.0.1:$p$url" | grep -o 'file-[0-9]*\.txt' | sort -u | wc -l)
				want=999
			else
				got=$(curl -s -o /dev/null -w '%{http_code}:%{size_download}' "http://127.0.0.1:$p$url")
				want="200:$want"
			fi
			if [ "$got" = "$want" ]; then
				echo "ok	$sut	$url	$got"
			else
				echo "WRONG	$sut	$url	got $got, want $want"
				log "run.sh: $sut answers $url wrongly: got $got, want $want"
			fi
		done
	done >"$OUT/preflight.txt"
}

is_available() {
	local s
	for s in "${AVAILABLE[@]}"; do
		[ "$s" = "$1" ] && return 0
	done
	return 1
}

# ------------------------------------------------------------ load
# Base port of a server's classic services, HTTP port.
base_port() {
	case "$1" in
	superd) echo 20100 ;;
	xinetd) echo 20000 ;;
	tcpserver) echo 20200 ;;
	refsrv) echo 20300 ;;
	esac
}

http_port() {
	case "$1" in
	superd) echo 20180 ;;
	lighttpd) echo 20380 ;;
	nginx) echo 20480 ;;
	esac
}

# The load command of scenario $1 against server $2 (empty: n/a).
load_cmd() {
	local scen=$1 sut=$2 b p sd="$SDLOAD" common="-d $DUR -w 0.5"
	b=$(base_port "$sut")
	case "$scen" in
	tcp.daytime.conn50) echo "$sd conn -p $((b + 13)) -P daytime -c 50 $common" ;;
	tcp.time.conn50) echo "$sd conn -p $((b + 37)) -P time -c 50 $common" ;;
	tcp.daytime-acl.conn50) echo "$sd conn -p $((b + 14)) -P daytime -c 50 $common" ;;
	tcp.echo.conn50)
		p=$((b + 7)); [ "$sut" = tcpserver ] && p=20227
		echo "$sd conn -p $p -P echo --rst -c 50 $common" ;;
	tcp.exec.conn50) echo "$sd conn -p $((b + 27)) -P echo --rst -c 50 $common" ;;
	tcp.echo.pingpong1|tcp.echo.pingpong50|tcp.echo.stream1)
		p=$((b + 7)); [ "$sut" = tcpserver ] && p=20227
		case "$scen" in
		*pingpong1) echo "$sd pingpong -p $p -c 1 -s 64 $common" ;;
		*pingpong50) echo "$sd pingpong -p $p -c 50 -s 64 $common" ;;
		*) echo "$sd stream -p $p -c 1 $common" ;;
		esac ;;
	tcp.chargen.stream1)
		# xinetd's chargen is not RFC 864's rotation: check its structure only
		if [ "$sut" != xinetd ]; then
			echo "$sd chargen -p $((b + 19)) -c 1 --strict $common"
		else
			echo "$sd chargen -p $((b + 19)) -c 1 $common"
		fi ;;
	tcp.discard.stream1) echo "$sd discard -p $((b + 9)) -c 1 $common" ;;
	udp.echo.c1) echo "$sd udp -p $((b + 7)) -c 1 -s 64 -T 20 $common" ;;
	udp.echo.c10) echo "$sd udp -p $((b + 7)) -c 10 -s 64 -T 20 $common" ;;
	http.*)
		local url file conc tool
		p=$(http_port "$sut")
		IFS=. read -r _ file tool conc <<<"$scen"
		conc=${conc#c}
		case "$file" in
		100b) url=/100.bin ;;
		4k) url=/4k.bin ;;
		1m) url=/1m.bin ;;
		dir1000) url=/dir1000/ ;;
		cgi-sh) url=/cgi-bin/hello-sh.cgi ;;
		cgi-c) url=/cgi-bin/hello-c.cgi ;;
		esac
		if [ "$tool" = ab ]; then
			echo "ab -q -c $conc -t $DUR -n 100000000 -e $WORK/ab.csv http://127.0.0.1:$p$url"
		else
			echo "wrk -t1 -c$conc -d${DUR}s --latency http://127.0.0.1:$p$url"
		fi ;;
	esac
}

# CPU lines of /proc/stat for cpu0 and cpu1: "busy total" each.
cpu_sample() {
	awk '/^cpu[01] / { idle = $5 + $6; total = 0; for (i = 2; i <= NF; i++) total += $i;
	      printf "%d %d ", total - idle, total }' /proc/stat
}

# Busy fraction from two samples ($1 before, $2 after) for CPU index $3.
cpu_busy() {
	awk -v a="$1" -v b="$2" -v k="$3" 'BEGIN { split(a, x, " "); split(b, y, " ");
	     db = y[2 * k + 1] - x[2 * k + 1]; dt = y[2 * k + 2] - x[2 * k + 2];
	     printf "%.3f", (dt > 0 ? db / dt : 0) }'
}

# Convert wrk's "12.34ms" / "1.2s" / "800.00us" to microseconds.
to_us() {
	awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) print n; else if (v ~ /ms$/) print n * 1000;
	     else if (v ~ /s$/) print n * 1000000; else print n }'
}

# Convert wrk's Transfer/sec ("8.43GB", "512.00MB", "900KB") to MB/s.
to_mbps() {
	awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /GB$/) n *= 1073.741824; else if (v ~ /MB$/) n *= 1.048576;
	     else if (v ~ /KB$/) n *= 0.001024; else n /= 1e6; printf "%.1f", n }'
}

# Run one measurement; append a line to results.tsv:
# scen sut rep value unit p50_us p99_us cpu0 cpu1 errors verify losses
measure() {
	local scen=$1 sut=$2 rep=$3 cmd out before after c0 c1
	local value=0 unit p50=0 p99=0 errors=0 verify=0 losses=0
	cmd=$(load_cmd "$scen" "$sut")
	before=$(cpu_sample)
	out=$(timeout $((DUR + 30)) taskset -c 1 $cmd 2>&1)
	after=$(cpu_sample)
	c0=$(cpu_busy "$before" "$after" 0)
	c1=$(cpu_busy "$before" "$after" 1)
	printf '### %s %s rep %s\n$ %s\n%s\n' "$scen" "$sut" "$rep" "$cmd" "$out" >>"$OUT/raw.log"
	case "$cmd" in
	"$SDLOAD"*)
		local kv
		kv=$(grep '^sdload ' <<<"$out" | tail -1)
		if [ -z "$kv" ]; then
			errors=-1
		else
			get() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$kv"; }
			case "$scen" in
			*.stream1) value=$(get MBps); unit=MB/s ;;
			*) value=$(get rate); unit=$([ "${scen%%.*}" = udp ] || [[ "$scen" == *pingpong* ]] &&
			                             echo "round trips/s" || echo "conn/s") ;;
			esac
			p50=$(get p50_us); p99=$(get p99_us)
			errors=$(get errors); verify=$(get verify); losses=$(get losses)
		fi ;;
	wrk*)
		if [[ "$scen" == http.1m.* ]]; then
			value=$(to_mbps "$(awk '/^Transfer\/sec:/ { print $2 }' <<<"$out")"); unit=MB/s
		else
			value=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out"); unit=req/s
		fi
		p50=$(to_us "$(awk '$1 == "50%" { print $2 }' <<<"$out")")
		p99=$(to_us "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
		errors=$(awk '/Socket errors/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' <<<"$out")
		verify=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' <<<"$out")
		[ -n "$value" ] || { value=0; errors=-1; } ;;
	ab*)
		value=$(awk '/^Requests per second:/ { print $4 }' <<<"$out"); unit=req/s
		errors=$(awk '/^Failed requests:/ { print $3 }' <<<"$out")
		verify=$(awk '/^Non-2xx responses:/ { print $3 }' <<<"$out")
		if [ -f "$WORK/ab.csv" ]; then
			p50=$(awk -F, '$1 == "50" { print $2 * 1000 }' "$WORK/ab.csv")
			p99=$(awk -F, '$1 == "99" { print $2 * 1000 }' "$WORK/ab.csv")
			rm -f "$WORK/ab.csv"
		fi
		[ -n "$value" ] || { value=0; errors=-1; } ;;
	esac
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scen" "$sut" "$rep" \
		"${value:-0}" "${unit:-?}" "${p50:-0}" "${p99:-0}" "$c0" "$c1" "${errors:-0}" \
		"${verify:-0}" "${losses:-0}" >>"$OUT/results.tsv"
	log "  $scen $sut #$rep: ${value:-0} ${unit:-?} (cpu0 $c0, cpu1 $c1, errors ${errors:-0}, verify ${verify:-0}, losses ${losses:-0})"
}

# Run every selected scenario, repeats interleaved with the order rotated.
run_all() {
	local line scen suts s rep list i n
	while IFS='|' read -r scen suts; do
		[ -n "$scen" ] || continue
		scen_selected "$scen" || continue
		list=()
		for s in $suts; do
			is_available "$s" && [ -n "$(load_cmd "$scen" "$s")" ] && list+=("$s")
		done
		if [ "$scen" = tcp.exec.conn50 ] && ! grep -q '# @EXEC@' "$WORK/superd.yaml" 2>/dev/null; then
			list=("${list[@]/superd}")
		fi
		if [[ "$scen" == http.* ]] && ! grep -q '# @HTTP@' "$WORK/superd.yaml" 2>/dev/null; then
			list=("${list[@]/superd}")
		fi
		if [ "$scen" = tcp.daytime-acl.conn50 ] && ! grep -q '# @CONTROLS@' "$WORK/superd.yaml" 2>/dev/null; then
			list=("${list[@]/superd}")
		fi
		read -r -a list <<<"${list[*]}"
		n=${#list[@]}
		[ "$n" -gt 0 ] || continue
		log "== $scen (${list[*]})"
		if [[ "$scen" == http.* ]]; then   # warm-up, not recorded
			for s in "${list[@]}"; do
				timeout 10 taskset -c 1 wrk -t1 -c10 -d1s "$(load_cmd "$scen" "$s" | awk '{ print $NF }')" >/dev/null 2>&1
			done
		fi
		for rep in $(seq "$REPS"); do
			for i in $(seq 0 $((n - 1))); do
				measure "$scen" "${list[$(((i + rep - 1) % n))]}" "$rep"
			done
		done
		memory_trace "$scen"
	done <<<"$SCENARIOS"
}

# After scenario $1: VmHWM and VmRSS (kB) of every server process, to see
# which scenario makes a process grow: "scen name role pid hwm rss" lines.
memory_trace() {
	local name pg pid
	for name in "${AVAILABLE[@]}"; do
		pg=$(eval echo "\$PID_${name//-/_}")
		for pid in $pg $(cat /proc/"$pg"/task/*/children 2>/dev/null); do
			[ -r "/proc/$pid/status" ] || continue
			awk -v s="$1" -v n="$name" -v r="$([ "$pid" = "$pg" ] && echo main || echo worker)" \
				-v p="$pid" '/^VmHWM:/ { h = $2 } /^VmRSS:/ { m = $2 }
				END { printf "%s\t%s\t%s\t%s\t%s\t%s\n", s, n, r, p, h, m }' "/proc/$pid/status"
		done
	done >>"$OUT/memtrace.tsv"
}

# VmHWM (kB) of a process and its children: "name role pid kB" lines.
memory() {
	local name pg pid kid
	for name in "${AVAILABLE[@]}"; do
		pg=$(eval echo "\$PID_${name//-/_}")
		for pid in $pg $(cat /proc/"$pg"/task/*/children 2>/dev/null); do
			[ -r "/proc/$pid/status" ] || continue
			local role=worker
			[ "$pid" = "$pg" ] && role=main
			awk -v n="$name" -v r="$role" -v p="$pid" -v c="$(cat /proc/"$pid"/comm)" \
				'/^VmHWM:/ { printf "%s\t%s\t%s\t%s\t%s\n", n, r, p, c, $2 }' "/proc/$pid/status"
		done
	done >"$OUT/memory.tsv"
}

: >"$OUT/results.tsv"
: >"$OUT/raw.log"
: >"$OUT/memtrace.tsv"
{
	echo "date: $(date -u '+%Y-%m-%d %H:%M:%SZ')"
	echo "kernel: $(uname -r), cpus: $(nproc)"
	echo "duration: ${DUR}s x $REPS repeats"
	echo "superd: $SUPERD_BIN"
} >"$OUT/meta.txt"
start_peers
[ "${#AVAILABLE[@]}" -gt 0 ] || { log "run.sh: no server to measure"; exit 1; }
memory_trace start
http_preflight
run_all
memory
python3 "$HERE/report.py" "$OUT" | tee "$OUT/report.md"
log "run.sh: raw data in $OUT"
