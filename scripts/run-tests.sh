#!/usr/bin/env bash
#
# scripts/run-tests.sh
#	  make test: build, install, and run every test layer against a
#	  throwaway PostgreSQL.
#
# Layers, in order: unit tests of the plain-C parsers (with sanitizers,
# then under valgrind, then the fuzz harnesses over their seeds and past
# findings), pg_regress and isolation tests (make installcheck)
# on a throwaway cluster, TAP tests (each starts its own clusters and
# gateways; one runs the gateway under valgrind), and the demo
# generator's self-check.  Every layer runs even when an earlier one
# failed; the last line counts the layers that passed and failed.
#
# Installing into PostgreSQL's directories needs root.  The server refuses
# to run as root, so as root the clusters are run by AUTOPLAY_PG_USER
# (default "postgres").

set -uo pipefail
cd "$(dirname "$0")/.."
prog=test
. scripts/common.sh

pg_user=${AUTOPLAY_PG_USER:-postgres}
bindir=$(pg_config --bindir)
pgxs_perl=$(dirname "$(pg_config --pgxs)")/../test/perl
passed=0
failed=0
failed_layers=""

# layer NAME COMMAND...: run one test layer and count its outcome
layer() {
	local name=$1
	shift
	echo "=== $name"
	if "$@"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failed_layers="$failed_layers $name"
		echo "=== $name: FAILED"
	fi
}

# as_tester: run a command as the user who may run PostgreSQL servers
as_tester() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u "$pg_user" -- "$@"
	else
		"$@"
	fi
}


# Build and install; nothing else can run without them
make -s || exit 1
if ! make -s install >/dev/null; then
	echo "run-tests.sh: could not install into $(pg_config --sharedir);" \
		"run make test as root" >&2
	exit 1
fi

# Unit tests of the parsers, under sanitizers and under valgrind
layer unit make -s -C test/unit check
layer unit-valgrind make -s -C test/unit valgrind
layer fuzz-regress make -s -C fuzz regress

# Regression and isolation tests on a throwaway cluster
scratch=$(mktemp -d /tmp/autoplay-test.XXXXXX)
chmod 755 "$scratch"
port=$(free_port "${AUTOPLAY_TEST_PORT:-54329}")
trap 'scripts/tmp-postgres.sh stop "$scratch/pg"; rm -rf "$scratch"' EXIT
if scripts/tmp-postgres.sh start "$scratch/pg" "$port"; then
	export PGHOST=$scratch/pg PGPORT=$port
	export PGUSER=$( [ "$(id -u)" -eq 0 ] && echo "$pg_user" || id -un)
	layer regress make -s installcheck
	[ -f regression.diffs ] && cat regression.diffs
	unset PGHOST PGPORT PGUSER
else
	failed=$((failed + 1))
	failed_layers="$failed_layers regress"
fi

# TAP tests, run by the user who may start servers, from a copy of t/ that
# the user can read wherever the tree is, against the installed gateway
if compgen -G "t/*.pl" >/dev/null; then
	mkdir -p "$scratch/tap"
	cp -r t "$scratch/tap/t"
	[ "$(id -u)" -eq 0 ] && chown -R "$pg_user" "$scratch/tap"
	layer tap as_tester env -C "$scratch/tap" TESTDIR="$scratch/tap" \
		PATH="$bindir:$PATH" \
		PG_REGRESS="$(dirname "$(pg_config --pgxs)")/../test/regress/pg_regress" \
		AUTOPLAY_GATEWAY="$bindir/autoplay-gateway" \
		prove -I "$pgxs_perl" -I t t/*.pl
fi

# The demo's traffic generator checks its own output
if [ -f demo/generate.py ]; then
	layer generator python3 demo/generate.py --self-check
fi

echo "layers failed:${failed_layers:- none}"
echo "layers: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
