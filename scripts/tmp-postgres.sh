#!/usr/bin/env bash
#
# scripts/tmp-postgres.sh
#	  Start or stop a throwaway PostgreSQL cluster for tests, the demo and
#	  benchmarks.
#
# The server refuses to run as root, so when called by root the cluster is
# created and run by an unprivileged user (AUTOPLAY_PG_USER, default
# "postgres").  The cluster listens only on a Unix socket in its own
# directory and on 127.0.0.1 at the given port, with trust authentication
# for local connections: it is for throwaway use only.
#
# Usage:
#	scripts/tmp-postgres.sh start DIR PORT [extra postgres -c settings...]
#	scripts/tmp-postgres.sh stop DIR
#
# After "start", connect with: psql -h DIR -p PORT -U <user> postgres
# (the superuser is the OS user that runs the server).

set -euo pipefail

bindir=$(pg_config --bindir)
action=${1:?usage: tmp-postgres.sh start|stop DIR [PORT]}
dir=${2:?usage: tmp-postgres.sh start|stop DIR [PORT]}
dir=$(realpath -m "$dir")

# as_owner: run a command as the user who owns the cluster, from "/" since
# that user may not be able to enter the current directory
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd / && runuser -u "${AUTOPLAY_PG_USER:-postgres}" -- "$@")
	else
		"$@"
	fi
}

case "$action" in
start)
	port=${3:?usage: tmp-postgres.sh start DIR PORT}
	shift 3
	mkdir -p "$dir"
	if [ "$(id -u)" -eq 0 ]; then
		chown "${AUTOPLAY_PG_USER:-postgres}" "$dir"
	fi
	as_owner "$bindir/initdb" -D "$dir/data" -A trust -E UTF8 \
		--locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; exit 1; }
	opts="-p $port -k $dir -c listen_addresses=127.0.0.1"
	opts="$opts -c fsync=off -c max_connections=200"
	for setting in "$@"; do
		opts="$opts -c $setting"
	done
	as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" \
		-o "$opts" -w start >/dev/null ||
		{ cat "$dir/server.log" >&2; exit 1; }
	;;
stop)
	if [ -f "$dir/data/postmaster.pid" ]; then
		as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
	fi
	;;
*)
	echo "tmp-postgres.sh: unknown action \"$action\"" >&2
	exit 2
	;;
esac
