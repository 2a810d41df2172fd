#!/usr/bin/env bash
#
# bench/run.sh
#	  make bench: how fast autoplay ingests, next to what a user would
#	  otherwise have, measured side by side on one throwaway cluster.
#
# Installs what is missing (as root, from apt), builds and installs the
# extension, builds the gateway when its sources are there, starts a
# throwaway cluster with fsync and synchronous_commit on, generates seeded
# FullStory-like payloads with demo/generate.py, and then:
#
#	1. checks that twin.ingest (bench/plpgsql_twin.sql, the same rules in
#	   PL/pgSQL) stores exactly what autoplay_ingest stores: on the
#	   benchmark array (any difference stops the run) and on the edge
#	   cases of bench/twin_cases.py (differences are shown and counted);
#	2. times, in rounds whose order rotates, with the median kept:
#	   autoplay_ingest over one array of all payloads into empty tables,
#	   the same array again (every element a duplicate), twin.ingest over
#	   the same array, and COPY FROM of the rows autoplay stored (binary,
#	   every column) into an emptied table of the same shape and indexes;
#	   then one 1,000-element array against 1,000 single calls;
#	3. when the gateway answers: wrk posting the payloads to it against
#	   pgbench calling autoplay_ingest with them, both at 16 connections;
#	   latency at half the gateway's peak rate (bench/fixed_rate.c, open
#	   loop); the gateway's peak resident memory.
#
# Figures are printed last, one "name: value" line each.  Timings are
# taken inside the server (clock_timestamp() around the statement, commit
# included), so the client is not measured.
#
# Settings, all optional, from the environment:
#	QUICK=1						50,000 payloads and short load runs (under
#								five minutes); default 200,000
#	AUTOPLAY_BENCH_SEED			generator seed (default 42)
#	AUTOPLAY_BENCH_PORT			first port to try (default 54500; the
#								cluster and the gateway take free ports
#								up to 54599)
#	AUTOPLAY_BENCH_GW_THREADS	gateway --threads (default 4)
#	AUTOPLAY_BENCH_KEEP=1		keep the scratch directory
#	AUTOPLAY_PG_USER			who runs the servers when called by root
#								(default postgres)

set -euo pipefail
cd "$(dirname "$0")/.."
prog=bench
. scripts/common.sh
top=$(pwd)
started_at=$SECONDS

seed=${AUTOPLAY_BENCH_SEED:-42}
first_port=${AUTOPLAY_BENCH_PORT:-54500}
gw_threads=${AUTOPLAY_BENCH_GW_THREADS:-4}
# The gateway's own default: fewer database connections than concurrent
# requests is what lets requests queue and share a commit
gw_pool=${AUTOPLAY_BENCH_GW_POOL:-4}
pg_user=${AUTOPLAY_PG_USER:-postgres}
if [ -n "${QUICK:-}" ] && [ "${QUICK}" != 0 ]; then
	mode=quick
	payloads=50000
	load_seconds=10
	load_rounds=1
	fixed_seconds=10
else
	mode=full
	payloads=200000
	load_seconds=20
	load_rounds=3
	fixed_seconds=30
fi
rounds=5
connections=16
work=""
pgdir=""
gateway_pid=""
declare -A figure=()
declare -A why_na=()

# cleanup: stop the gateway and the cluster, remove the scratch directory;
# safe at any point of the script, and more than once
cleanup() {
	local status=$?

	trap - EXIT INT TERM
	stop_child "$gateway_pid"
	if [ -n "$pgdir" ]; then
		scripts/tmp-postgres.sh stop "$pgdir" 2>/dev/null || true
	fi
	if [ -n "$work" ] && [ -d "$work" ]; then
		if [ "${AUTOPLAY_BENCH_KEEP:-0}" = 1 ] || [ "$status" -ne 0 ]; then
			echo "bench: scratch directory kept: $work" >&2
		else
			rm -rf "$work"
		fi
	fi
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# install_missing: apt-get install what the build and the benchmark need
# and this machine lacks
install_missing() {
	local wanted

	wanted="$(build_packages) wrk"
	if command -v pg_config >/dev/null &&
		[ ! -x "$(pg_config --bindir)/pgbench" ]; then
		wanted="$wanted postgresql-contrib"
	fi
	# shellcheck disable=SC2086
	install_packages $wanted
}

# as_server_user CMD...: run CMD as the user that runs the servers
# (exec'd in place, so the caller's $! is CMD itself)
as_server_user() {
	if [ "$(id -u)" -eq 0 ]; then
		exec setpriv --reuid="$pg_user" --regid="$pg_user" --init-groups \
			-- "$@"
	fi
	exec "$@"
}

# psql_su ARGS...: psql as the cluster's superuser, stopping at errors
psql_su() {
	psql -X -q -v ON_ERROR_STOP=1 -h "$pgdir" -p "$pg_port" -d postgres \
		-U "$superuser" "$@"
}

# timed SQL: run SQL in its own session, statements in autocommit, and
# print how many seconds it took inside the server, commits included
timed() {
	psql_su -At <<SQL
\\o /dev/null
SELECT clock_timestamp() AS bench_t0 \\gset
$1
\\o
SELECT extract(epoch FROM clock_timestamp() - :'bench_t0');
SQL
}

# fresh SIDE: empty one side's tables, keeping their partitions, then
# write every dirty page out, so that nothing left by the previous
# measurement is paid for by the next
fresh() {
	psql_su -At -c "SELECT bench.reset('$1', true)" -c "CHECKPOINT" >/dev/null
}

# median VALUES...: the middle value
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
		END { if (NR % 2) print v[(NR + 1) / 2];
			  else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ratio A B: A / B with two decimals
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}

# per_second N SECONDS: N / SECONDS, whole
per_second() {
	awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'
}

# cpu_busy: clock ticks the whole machine has spent busy since boot
cpu_busy() {
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}

# cpu_ours: clock ticks used by this script and its children (those that
# ended included), the cluster's processes and the gateway
cpu_ours() {
	local postmaster pids pid

	postmaster=$(head -n 1 "$pgdir/data/postmaster.pid")
	pids="$$ $postmaster $(pgrep -P "$postmaster" | tr '\n' ' ') $gateway_pid"
	for pid in $pids; do
		sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null || true
	done | awk '{ t += $12 + $13 + $14 + $15 } END { print t + 0 }'
}

# gateway_ok: does GET /healthz on the gateway answer 200?
gateway_ok() {
	(
		exec 3<>"/dev/tcp/127.0.0.1/$gw_port" || exit 1
		printf 'GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
		read -r -t 2 line <&3 || exit 1
		[[ $line == "HTTP/1."?" 200"* ]]
	) 2>/dev/null
}

# no_gateway REASON: the gateway figures cannot be measured
no_gateway() {
	local name

	say "gateway figures skipped: $1"
	for name in gateway_vs_pgbench gateway_p50_ms gateway_p99_ms \
		gateway_rss_mb; do
		why_na[$name]=$1
	done
}

# make_payloads: exactly $payloads bodies that jsonb accepts, in delivery
# order, from the generator's realistic mix (resends, late clicks, a
# connection test and a few broken bodies); bodies that are not JSON at
# all (the gateway's autoplay_ingest_raw would keep those) are left out
make_payloads() {
	local clicks=$((payloads * 97 / 100))

	while :; do
		python3 demo/generate.py --out "$work/generated.ndjson" \
			--seed "$seed" --clicks "$clicks" --quiet
		if python3 - "$work/generated.ndjson" "$work/payloads.ndjson" \
			"$payloads" <<'PY'; then
import json, sys

def refuse(token):
	raise ValueError(token)

wanted = int(sys.argv[3])
kept = 0
with open(sys.argv[1], "rb") as src, open(sys.argv[2], "wb") as out:
	for line in src:
		line = line.rstrip(b"\n")
		try:
			text = line.decode("utf-8")
			value = json.loads(text, parse_constant=refuse)
			if "\\u0000" in text:
				continue
			json.dumps(value, ensure_ascii=False).encode("utf-8")
		except ValueError:
			continue
		out.write(line + b"\n")
		kept += 1
		if kept == wanted:
			sys.exit(0)
sys.exit(3)
PY
			return
		fi
		clicks=$((clicks + payloads / 10))
	done
}

# Install, build, and put the extension where PostgreSQL finds it
[ "$(id -u)" -eq 0 ] || say "not root: installing needs write access to PostgreSQL's directories"
install_missing
work=$(mktemp -d /tmp/autoplay-bench.XXXXXX)
chmod 755 "$work"
say "building ($mode run, scratch in $work)"
if ! { make -j"$(nproc)" && make install; } >"$work/build.log" 2>&1; then
	tail -n 30 "$work/build.log" >&2
	die "build failed (last lines above)"
fi
gateway=$top/src/gateway/autoplay-gateway
gateway_built=no
if [ -f src/gateway/Makefile ] &&
	make -C src/gateway >>"$work/build.log" 2>&1; then
	gateway_built=yes
fi
cc -O2 -Wall -Wextra -o "$work/fixed_rate" bench/fixed_rate.c ||
	die "could not build bench/fixed_rate.c"

# A throwaway cluster that writes like a production one
pg_port=$(free_port "$first_port")
pgdir=$work/pg
mem_mb=$(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo)
shared_buffers=$((mem_mb / 4 > 2048 ? 2048 : mem_mb / 4))MB
scripts/tmp-postgres.sh start "$pgdir" "$pg_port" fsync=on \
	synchronous_commit=on full_page_writes=on "shared_buffers=$shared_buffers" \
	max_wal_size=16GB min_wal_size=1GB checkpoint_timeout=1h \
	autovacuum=off jit=off work_mem=64MB
superuser=$(id -un)
[ "$(id -u)" -eq 0 ] && superuser=$pg_user
io=$work/io
mkdir -p "$io"
[ "$(id -u)" -eq 0 ] && chown "$pg_user" "$io"
say "PostgreSQL on port $pg_port (fsync on, synchronous_commit on, shared_buffers $shared_buffers)"

# Payloads: the benchmark's, and the edge cases
say "generating $payloads payloads (seed $seed)"
make_payloads
python3 bench/twin_cases.py --seed "$seed" >"$work/cases.ndjson"
seq 1 1000 | sed 's/.*/SELECT autoplay_ingest(body) -> '"'accepted'"' FROM bench.payloads WHERE id = &;/' \
	>"$work/singles.sql"
chmod 644 "$work"/*.ndjson "$work"/*.sql

# The extension, its twin, and the benchmark's tables
psql_su <<SQL
SET client_min_messages = warning;
CREATE EXTENSION autoplay;
\\i bench/plpgsql_twin.sql
\\i bench/setup.sql
\\copy bench.raw_payloads (body) FROM '$work/payloads.ndjson' WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')
\\copy bench.raw_cases (body) FROM '$work/cases.ndjson' WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')
INSERT INTO bench.payloads SELECT id, body::jsonb FROM bench.raw_payloads;
INSERT INTO bench.cases SELECT id, body::jsonb FROM bench.raw_cases;
TRUNCATE bench.raw_payloads, bench.raw_cases;
INSERT INTO bench.arrays
SELECT 'main', count(*), jsonb_agg(body ORDER BY id) FROM bench.payloads;
INSERT INTO bench.arrays
SELECT 'batch1000', count(*), jsonb_agg(body ORDER BY id)
FROM bench.payloads WHERE id <= 1000;
CREATE ROLE bench_gateway LOGIN IN ROLE autoplay_writer;
VACUUM ANALYZE bench.payloads, bench.cases, bench.arrays;
SQL
say "loaded: $(psql_su -At -c "SELECT pg_size_pretty(pg_column_size(body)::bigint) FROM bench.arrays WHERE name = 'main'") of jsonb in one array"

# 1. Same rows: the benchmark array, then the edge cases one call each
say "checking that twin.ingest stores what autoplay_ingest stores"
psql_su -At -c "SELECT bench.reset('autoplay'), bench.reset('twin')" >/dev/null
psql_su <<'SQL'
INSERT INTO bench.check_results
SELECT 'c', 1, autoplay_ingest(body) FROM bench.arrays WHERE name = 'main';
INSERT INTO bench.check_results
SELECT 'twin', 1, twin.ingest(body) FROM bench.arrays WHERE name = 'main';
SQL
differences=$(psql_su -v show=5 <<'SQL' | tee "$work/compare-main.log" | sed -n 's/^differences=//p'
\x auto
\i bench/compare.sql
\echo differences=:differences
SQL
)
grep -v '^differences=' "$work/compare-main.log" | sed 's/^/  /'
[ "$differences" = 0 ] ||
	die "twin.ingest and autoplay_ingest differ on the benchmark data (rows above); nothing timed"

# autoplay's rows as stored, once, for COPY; bench_copy gets the partitions
rows=$(psql_su -At -c "SELECT count(*) FROM autoplay.clicks")
psql_su -At -c "COPY (SELECT * FROM autoplay.clicks) TO '$io/clicks.bin' WITH (FORMAT binary)" \
	-c "SELECT bench.copy_partitions()" >/dev/null

psql_su -At -c "TRUNCATE bench.check_results" \
	-c "SELECT bench.reset('autoplay'), bench.reset('twin')" >/dev/null
psql_su -At -c "SELECT bench.ingest_cases('c')" \
	-c "SELECT bench.ingest_cases('twin')" >/dev/null
case_differences=$(psql_su -v show=3 <<'SQL' | tee "$work/compare-cases.log" | sed -n 's/^differences=//p'
\x auto
\i bench/compare.sql
\echo differences=:differences
SQL
)
grep -v '^differences=' "$work/compare-cases.log" | sed 's/^/  edge cases: /'
psql_su -At -c "TRUNCATE bench.check_results" >/dev/null

# One untimed pass on each side, so that every timed pass finds the
# partitions it needs, as COPY's table does (fresh keeps them)
psql_su -At -c "SELECT bench.reset('autoplay'), bench.reset('twin')" \
	-c "SELECT autoplay_ingest(body) -> 'accepted' FROM bench.arrays WHERE name = 'main'" \
	-c "SELECT twin.ingest(body) -> 'accepted' FROM bench.arrays WHERE name = 'main'" >/dev/null

# 2. Bulk: rounds in rotating order, medians kept.  From here on, the
# CPU time that other processes take is counted: it skews the figures.
busy_start=$(cpu_busy)
ours_start=$(cpu_ours)
measure_start=$SECONDS
main_sql="SELECT autoplay_ingest(body) -> 'accepted' FROM bench.arrays WHERE name = 'main';"
twin_sql="SELECT twin.ingest(body) -> 'accepted' FROM bench.arrays WHERE name = 'main';"
copy_sql="COPY bench_copy.clicks FROM '$io/clicks.bin' WITH (FORMAT binary);"
insert_sql="SET autoplay.direct_insert = off; $main_sql"
t_c=() t_dup=() t_twin=() t_copy=() t_insert=()
run_c() {
	fresh autoplay
	t_c+=("$(timed "$main_sql")")
	[ "$(psql_su -At -c "SELECT count(*) FROM autoplay.clicks")" = "$rows" ] ||
		die "autoplay_ingest stored another number of rows than in the check"
	psql_su -At -c "CHECKPOINT" >/dev/null
	t_dup+=("$(timed "$main_sql")")
}
run_twin() {
	fresh twin
	t_twin+=("$(timed "$twin_sql")")
}
run_copy() {
	fresh bench_copy
	t_copy+=("$(timed "$copy_sql")")
}
run_c_insert() {
	fresh autoplay
	t_insert+=("$(timed "$insert_sql")")
}
order=(run_c run_twin run_copy run_c_insert)
for round in $(seq 1 $rounds); do
	say "bulk round $round of $rounds: ${order[*]}"
	for step in "${order[@]}"; do
		"$step"
	done
	order=("${order[@]:1}" "${order[0]}")
done
m_c=$(median "${t_c[@]}")
m_dup=$(median "${t_dup[@]}")
m_twin=$(median "${t_twin[@]}")
m_copy=$(median "${t_copy[@]}")
m_insert=$(median "${t_insert[@]}")

# One array of 1,000 against 1,000 calls of one, each call its own
# transaction, as one request each would be
t_batch=() t_single=()
for round in $(seq 1 $rounds); do
	say "batch round $round of $rounds"
	fresh autoplay
	t_batch+=("$(timed "SELECT autoplay_ingest(body) -> 'accepted' FROM bench.arrays WHERE name = 'batch1000';")")
	fresh autoplay
	t_single+=("$(timed "\\i $work/singles.sql")")
done
m_batch=$(median "${t_batch[@]}")
m_single=$(median "${t_single[@]}")

figure[c_vs_plpgsql]=$(ratio "$m_twin" "$m_c")
figure[c_vs_copy]=$(ratio "$m_copy" "$m_c")
figure[batch_vs_single]=$(ratio "$m_single" "$m_batch")
figure[duplicate_vs_fresh]=$(ratio "$m_c" "$m_dup")

# 3. The gateway, when it is there
# start_gateway POOL: run the gateway as the server user on $gw_port, with
# POOL database connections; false when it does not answer
start_gateway() {
	AUTOPLAY_TOKEN=$token as_server_user "$gateway" \
		--listen "127.0.0.1:$gw_port" --dsn "$dsn" --pool "$1" \
		--threads "$gw_threads" --grace 5 >>"$work/gateway.log" 2>&1 &
	gateway_pid=$!
	for _ in $(seq 100); do
		gateway_ok && return 0
		kill -0 "$gateway_pid" 2>/dev/null || break
		sleep 0.1
	done
	gateway_ok
}

# stop_gateway: SIGTERM, then wait for the gateway to finish
stop_gateway() {
	kill "$gateway_pid" 2>/dev/null || true
	wait "$gateway_pid" 2>/dev/null || true
	gateway_pid=""
}

# load_round NAME [gateway-only]: wrk posting to the gateway, then (unless
# gateway-only) pgbench calling autoplay_ingest, each into emptied tables;
# appends requests/s to wrk_rps and calls/s to pgbench_tps, and wrk's
# non-2xx count to non2xx
load_round() {
	fresh autoplay
	AUTOPLAY_TOKEN=$token wrk -t 2 -c "$connections" -d "${load_seconds}s" \
		-s bench/wrk_post.lua "http://127.0.0.1:$gw_port/ingest" \
		-- "$work/payloads.ndjson" 2 >"$work/wrk-$1.log" 2>&1 ||
		die "wrk failed: $(cat "$work/wrk-$1.log")"
	wrk_rps+=("$(awk '/^Requests\/sec:/ { print $2 }' "$work/wrk-$1.log")")
	non2xx+=("$(awk '/Non-2xx/ { n = $5 } END { print n + 0 }' "$work/wrk-$1.log")")
	[ "${2:-}" = gateway-only ] && return
	fresh autoplay
	pgbench -n -h "$pgdir" -p "$pg_port" -U "$superuser" -c "$connections" \
		-j 2 -T "$load_seconds" -M prepared -D n="$payloads" \
		-f bench/pgbench_ingest.sql postgres >"$work/pgbench-$1.log" 2>&1 ||
		die "pgbench failed: $(tail -n 5 "$work/pgbench-$1.log")"
	pgbench_tps+=("$(awk '/^tps = .*without initial/ { print $3 }' "$work/pgbench-$1.log")")
}

# 3. The gateway, when it is there
wrk_rps=() pgbench_tps=() non2xx=()
if ! command -v wrk >/dev/null; then
	no_gateway "wrk is not installed"
elif [ ! -f src/gateway/Makefile ]; then
	no_gateway "no gateway sources in src/gateway"
elif [ "$gateway_built" != yes ] || [ ! -x "$gateway" ]; then
	no_gateway "src/gateway does not build (see $work/build.log)"
else
	gw_port=$(free_port $((pg_port + 1)))
	token=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
	dsn="host=$pgdir port=$pg_port dbname=postgres user=bench_gateway"
	if ! start_gateway "$gw_pool"; then
		sed 's/^/  gateway: /' "$work/gateway.log" >&2
		no_gateway "the gateway did not answer GET /healthz with 200"
	fi
fi
if [ -z "${why_na[gateway_vs_pgbench]:-}" ]; then
	for round in $(seq 1 $load_rounds); do
		say "load round $round of $load_rounds: wrk to the gateway, then pgbench (${load_seconds}s each, $connections connections)"
		load_round "$round"
	done
	gw_peaks=("${wrk_rps[@]}")
	gw_tps=("${pgbench_tps[@]}")
	gw_non2xx=("${non2xx[@]}")
	rss_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$gateway_pid/status")
	m_peak=$(median "${gw_peaks[@]}")
	m_tps=$(median "${gw_tps[@]}")
	figure[gateway_vs_pgbench]=$(ratio "$m_peak" "$m_tps")
	figure[gateway_rss_mb]=$(ratio "$rss_kb" 1024)

	half=$(awk -v p="$m_peak" 'BEGIN { printf "%.0f", p / 2 }')
	say "fixed rate: $half requests/s for ${fixed_seconds}s, $connections connections"
	fresh autoplay
	AUTOPLAY_TOKEN=$token "$work/fixed_rate" --port "$gw_port" \
		--file "$work/payloads.ndjson" --rate "$half" \
		--duration "$fixed_seconds" --warmup 2 --connections "$connections" \
		>"$work/fixed.log" || die "fixed_rate failed"
	figure[gateway_p50_ms]=$(awk '/^p50_ms:/ { printf "%.2f", $2 }' "$work/fixed.log")
	figure[gateway_p99_ms]=$(awk '/^p99_ms:/ { printf "%.2f", $2 }' "$work/fixed.log")

	# Diagnosis, not a figure: with one database connection per load
	# connection, every request finds a connection free and no group
	# commit forms, so the gateway runs one transaction per request, as
	# pgbench does
	say "one more load round with --pool $connections"
	stop_gateway
	start_gateway "$connections" || die "the gateway did not come back"
	wrk_rps=() pgbench_tps=()
	load_round wide gateway-only
	wide_rps=${wrk_rps[0]}

	# Diagnosis, not a figure: NOTIFY makes commits take turns, each with
	# its WAL flush; one more round with it off shows the two sides when
	# commits do not queue
	say "one more load round with autoplay.notify = off"
	stop_gateway
	psql_su -c "ALTER ROLE bench_gateway SET autoplay.notify = off" >/dev/null
	start_gateway "$gw_pool" || die "the gateway did not come back"
	wrk_rps=() pgbench_tps=()
	PGOPTIONS="-c autoplay.notify=off" load_round quiet
	quiet_rps=${wrk_rps[0]}
	quiet_tps=${pgbench_tps[0]}
fi

# What others took of the machine while we measured
others_cpus=$(awk -v b="$(( $(cpu_busy) - busy_start ))" \
	-v o="$(( $(cpu_ours) - ours_start ))" -v hz="$(getconf CLK_TCK)" \
	-v s="$((SECONDS - measure_start))" \
	'BEGIN { x = (b - o) / hz / (s > 0 ? s : 1); printf "%.2f", x < 0 ? 0 : x }')

# The measurements behind the figures, then the figures
model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
echo
say "measured ($mode run, $payloads payloads, $rows rows stored, medians of $rounds rounds):"
echo "  autoplay_ingest, one array:       $(per_second "$payloads" "$m_c") payloads/s (s: ${t_c[*]})"
echo "  twin.ingest (PL/pgSQL), same:     $(per_second "$payloads" "$m_twin") payloads/s (s: ${t_twin[*]})"
echo "  autoplay_ingest, all duplicates:  $(per_second "$payloads" "$m_dup") payloads/s (s: ${t_dup[*]})"
echo "  COPY FROM of the $rows rows:  $(per_second "$rows" "$m_copy") rows/s (s: ${t_copy[*]}); autoplay_ingest: $(per_second "$rows" "$m_c") rows/s"
echo "  with autoplay.direct_insert = off (INSERT ... ON CONFLICT): $(per_second "$payloads" "$m_insert") payloads/s (s: ${t_insert[*]}), $(ratio "$m_copy" "$m_insert") of COPY"
echo "  1,000 in one array (s):           ${t_batch[*]}"
echo "  1,000 single calls (s):           ${t_single[*]}"
if [ -n "${figure[gateway_vs_pgbench]:-}" ]; then
	echo "  gateway peak (wrk), --pool $gw_pool:     ${gw_peaks[*]} requests/s (non-2xx answers: ${gw_non2xx[*]}: the rejected bodies)"
	echo "  gateway with --pool $connections:         $wide_rps requests/s (one transaction per request)"
	echo "  pgbench, autoplay_ingest:         ${gw_tps[*]} calls/s"
	echo "  with autoplay.notify = off:       gateway $quiet_rps requests/s, pgbench $quiet_tps calls/s (ratio $(ratio "$quiet_rps" "$quiet_tps"))"
	sed -n 's/^\(sent\|non_2xx\|errors\|achieved_rps\|max_ms\|service_p99_ms\|service_max_ms\): /  fixed rate \1: /p' "$work/fixed.log"
fi
echo "  edge cases where twin and autoplay differ: $case_differences"
echo "  other processes used $others_cpus of $(nproc) CPUs on average while this measured"
if awk -v x="$others_cpus" 'BEGIN { exit !(x >= 0.10) }'; then
	echo "  WARNING: the machine was not quiet; the figures are skewed by that load"
fi
echo "  took $((SECONDS - started_at)) s"
echo
echo "machine: $(nproc) CPUs, $model, $((mem_mb / 1024)) GiB RAM, $(pg_config --version)"
for name in c_vs_plpgsql c_vs_copy batch_vs_single duplicate_vs_fresh \
	gateway_vs_pgbench gateway_p50_ms gateway_p99_ms gateway_rss_mb; do
	if [ -n "${figure[$name]:-}" ]; then
		echo "$name: ${figure[$name]}"
	else
		echo "$name: n/a (${why_na[$name]:-not measured})"
	fi
done
