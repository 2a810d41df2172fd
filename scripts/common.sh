#
# scripts/common.sh
#	  Shell functions shared by make test, make demo, make bench and
#	  .ci/run.  Source it; it defines functions and runs nothing.
#
# The caller sets prog to the name it speaks as ("demo", "bench", "ci")
# before sourcing.

# say: a progress line
say() {
	echo "$prog: $*"
}

# die: a message on stderr, then exit (the caller's trap cleans up)
die() {
	echo "$prog: $*" >&2
	exit 1
}

# build_packages: the Debian packages that building the extension and the
# gateway needs, plus the tools a fresh machine may lack
build_packages() {
	local wanted="postgresql-15 postgresql-server-dev-15 libpq-dev libssl-dev"

	wanted="$wanted libmicrohttpd-dev pkg-config"
	command -v make >/dev/null || wanted="$wanted make"
	command -v gcc >/dev/null || wanted="$wanted gcc"
	command -v python3 >/dev/null || wanted="$wanted python3"
	echo "$wanted"
}

# missing_packages PKG...: those of the Debian packages not installed
missing_packages() {
	local pkg missing=()

	for pkg in "$@"; do
		if ! dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null |
			grep -q '^install ok installed$'; then
			missing+=("$pkg")
		fi
	done
	echo "${missing[*]}"
}

# install_packages PKG...: apt-get install those not installed yet; quiet
# when nothing is missing.  Needs root for anything to install.
install_packages() {
	local missing

	if ! command -v dpkg-query >/dev/null; then
		say "not a Debian system: assuming the tools are installed"
		return
	fi
	missing=$(missing_packages "$@")
	[ -z "$missing" ] && return

	[ "$(id -u)" -eq 0 ] || die "missing packages: $missing; run as root"
	say "installing $missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# free_port PORT: the first port from PORT on that nothing listens on
free_port() {
	local port=$1

	while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
		port=$((port + 1))
	done
	echo "$port"
}

# stop_child PID: stop a background process of ours and reap it
stop_child() {
	if [ -n "$1" ] && kill -0 "$1" 2>/dev/null; then
		kill "$1" 2>/dev/null || true
		wait "$1" 2>/dev/null || true
	fi
}
