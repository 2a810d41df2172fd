#!/usr/bin/env bash
#
# demo/run-demo.sh
#	  make demo: the whole job end to end on a throwaway PostgreSQL.
#
# Installs what is missing (as root, from apt), builds and installs the
# extension and the gateway, starts a throwaway cluster and the gateway on
# free ports of their own, posts a few hundred sessions of FullStory-like
# click webhooks with demo/generate.py, prints what an analyst sees
# (demo/analyst.sql), and stops everything it started.  The cluster runs
# as an unprivileged user (AUTOPLAY_PG_USER, default "postgres") when
# called by root, and so does the gateway.
#
# Settings, all optional:
#	AUTOPLAY_DEMO_SEED		generator seed (default 1)
#	AUTOPLAY_DEMO_SESSIONS	sessions to generate (default 300)
#	AUTOPLAY_DEMO_PORT		first port to try for the cluster (default
#							54410); the gateway takes the next free one
#	AUTOPLAY_DEMO_CONCURRENCY	connections the generator posts over
#							(default 1)
#
# The same seed gives the same clicks on every run; only the click times
# move, since they end at the current minute.  With one connection the
# order of arrival is the same too, so the whole output repeats; with
# more, clicks a few seconds apart may arrive in either order, as they do
# from FullStory.

set -euo pipefail
cd "$(dirname "$0")/.."
prog=demo
. scripts/common.sh
top=$(pwd)
started_at=$SECONDS

seed=${AUTOPLAY_DEMO_SEED:-1}
sessions=${AUTOPLAY_DEMO_SESSIONS:-300}
concurrency=${AUTOPLAY_DEMO_CONCURRENCY:-1}
pg_user=${AUTOPLAY_PG_USER:-postgres}
work=""
gateway_pid=""
generator_pid=""

# cleanup: stop the generator, the gateway and the cluster and remove the
# scratch directory; safe to run at any point of the script
cleanup() {
	local status=$?

	trap - EXIT INT TERM
	stop_child "$generator_pid"
	if [ "$status" -ne 0 ] && [ "$status" -lt 128 ] &&
		[ -s "$work/gateway.log" ]; then
		echo "demo: the gateway's log ends with:" >&2
		tail -n 20 "$work/gateway.log" >&2
	fi
	stop_child "$gateway_pid"
	if [ -n "$work" ] && [ -d "$work" ]; then
		scripts/tmp-postgres.sh stop "$work/pg" 2>/dev/null || true
		rm -rf "$work"
	fi
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# install_missing: apt-get install what the build and the demo need and
# this machine lacks; quiet when nothing is missing
install_missing() {
	# shellcheck disable=SC2046
	install_packages $(build_packages)
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

# healthz_ok: does GET /healthz on the gateway answer 200?
healthz_ok() {
	(
		exec 3<>"/dev/tcp/127.0.0.1/$gw_port" || exit 1
		printf 'GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
		read -r -t 2 line <&3 || exit 1
		[[ $line == "HTTP/1."?" 200"* ]]
	) 2>/dev/null
}

# stat_of KEY...: a value from the generator's --stats file, following
# nested keys; 0 when absent
stat_of() {
	python3 -c 'import json, sys
doc = json.load(open(sys.argv[1]))
for key in sys.argv[2:]:
	doc = doc.get(key) or 0 if isinstance(doc, dict) else 0
print(doc)' "$work/stats.json" "$@"
}

# Install, build, and put the extension where PostgreSQL finds it
install_missing
say "building"
work=$(mktemp -d /tmp/autoplay-demo.XXXXXX)
chmod 755 "$work"
if ! { make -j"$(nproc)" && make install; } >"$work/build.log" 2>&1; then
	tail -n 30 "$work/build.log" >&2
	die "build failed (last lines above)"
fi
# The installed program: the server user may not be able to read the tree
gateway=$(pg_config --bindir)/autoplay-gateway
[ -x "$gateway" ] || die "\"make install\" installed no $gateway"

# A throwaway cluster with the extension, a gateway role and an analyst
pg_port=$(free_port "${AUTOPLAY_DEMO_PORT:-54410}")
scripts/tmp-postgres.sh start "$work/pg" "$pg_port"
superuser=$(id -un)
[ "$(id -u)" -eq 0 ] && superuser=$pg_user
psql_as() {
	psql -X -q -v ON_ERROR_STOP=1 -h "$work/pg" -p "$pg_port" -d postgres \
		-U "$@"
}
psql_as "$superuser" <<'SQL'
CREATE EXTENSION autoplay;
CREATE ROLE demo_gateway LOGIN IN ROLE autoplay_writer;
CREATE ROLE demo_analyst LOGIN IN ROLE autoplay_reader;
SQL
say "PostgreSQL on port $pg_port, data in $work/pg"

# The gateway, with a token made for this run
gw_port=$(free_port $((pg_port + 1)))
token=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
dsn="host=$work/pg port=$pg_port dbname=postgres user=demo_gateway"
AUTOPLAY_TOKEN=$token as_server_user "$gateway" \
	--listen "127.0.0.1:$gw_port" --dsn "$dsn" --grace 5 \
	>"$work/gateway.log" 2>&1 &
gateway_pid=$!
for _ in $(seq 100); do
	healthz_ok && break
	kill -0 "$gateway_pid" 2>/dev/null || break
	sleep 0.1
done
if ! healthz_ok; then
	cat "$work/gateway.log" >&2
	die "the gateway did not answer GET /healthz with 200"
fi
say "gateway on 127.0.0.1:$gw_port"

# FullStory's side: a few hundred sessions of clicks, with what goes
# wrong.  It runs as a child we wait for, so that a signal stops it at once.
say "posting $sessions sessions of clicks (seed $seed)"
AUTOPLAY_TOKEN=$token python3 demo/generate.py --seed "$seed" \
	--sessions "$sessions" --post "http://127.0.0.1:$gw_port/ingest" \
	--concurrency "$concurrency" --stats "$work/stats.json" &
generator_pid=$!
status=0
wait "$generator_pid" || status=$?
generator_pid=""
if [ "$status" -gt 128 ]; then
	say "interrupted"
	exit "$status"
fi
[ "$status" -eq 0 ] || die "the generator could not deliver every body"

# The analyst's side
psql_as demo_analyst -P pager=off -f demo/analyst.sql \
	-v session="$(stat_of showcase_session)" \
	-v clicks="$(stat_of clicks)" -v acked="$(stat_of acked_clicks)" \
	-v resent="$(stat_of acked_resends)" \
	-v said_duplicate="$(stat_of outcomes duplicate)"

say "done in $((SECONDS - started_at)) s; stopping the gateway and PostgreSQL"
