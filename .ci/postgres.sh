# shellcheck shell=bash
# Throwaway PostgreSQL cluster for the tests of adapters/postgres.
#
# Meant to be SOURCED (by .ci/run or by hand), not executed:
#
#   source .ci/postgres.sh
#   pg_start                 # exports RELEASEKIT_POSTGRES_DSN
#   trap pg_stop EXIT        # or call pg_stop yourself at the end
#   (cd adapters/postgres && go test -race ./...)
#
# pg_start finds initdb (on PATH, then /usr/lib/postgresql/*/bin), installing Debian's
# postgresql package with apt-get when it is missing; creates a cluster in a temporary
# directory; starts it on 127.0.0.1 at a free port with its socket in that directory;
# waits until it accepts connections; creates the database "releasekit" with the
# btree_gist extension; and exports RELEASEKIT_POSTGRES_DSN. The server refuses to run
# as root, so as root every server command runs as the "postgres" user (runuser).
#
# pg_stop stops the server (fast shutdown) and removes the directory. It is idempotent
# and safe to call from an EXIT trap even when pg_start failed half-way.
#
# Settings (environment):
#   RELEASEKIT_PG_OPTS   extra server options; default "-c fsync=off -c full_page_writes=off
#                        -c max_connections=300" (a throwaway cluster needs no durability)
#   RELEASEKIT_PG_DB     database name, default "releasekit"

# shellcheck source=.ci/apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt.sh"

_pg_log() { printf '== postgres: %s\n' "$*" >&2; }

# _pg_find_bin prints the directory holding initdb and pg_ctl, or nothing.
_pg_find_bin() {
	local d
	if command -v initdb >/dev/null 2>&1; then
		d=$(dirname "$(readlink -f "$(command -v initdb)")")
		if [ -x "$d/pg_ctl" ]; then
			printf '%s\n' "$d"
			return 0
		fi
	fi
	# Highest version first.
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -V -r); do
		if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
			printf '%s\n' "$d"
			return 0
		fi
	done
	return 0
}

# _pg_as_server runs a command as the user that owns the cluster.
_pg_as_server() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# _pg_port_free reports whether nothing listens on 127.0.0.1:$1.
_pg_port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pg_start() {
	if [ -n "${_PG_DIR:-}" ]; then
		_pg_log "already running in $_PG_DIR (call pg_stop first)"
		return 0
	fi
	local bin
	bin=$(_pg_find_bin)
	if [ -z "$bin" ]; then
		_pg_log "initdb not found: installing Debian's postgresql package"
		apt_install postgresql || return 1
		bin=$(_pg_find_bin)
		if [ -z "$bin" ]; then
			_pg_log "postgresql installed but initdb is still missing; looked on PATH and in /usr/lib/postgresql/*/bin"
			return 1
		fi
	fi
	_pg_log "using $bin"
	if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
		_pg_log "running as root but there is no 'postgres' user to run the server as"
		return 1
	fi

	_PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/releasekit-pg.XXXXXX") || return 1
	_PG_BIN=$bin
	chmod 755 "$_PG_DIR"
	mkdir -p "$_PG_DIR/data" "$_PG_DIR/sock"
	if [ "$(id -u)" = 0 ]; then chown -R postgres: "$_PG_DIR"; fi
	_pg_log "initdb in $_PG_DIR/data"
	if ! _pg_as_server "$bin/initdb" -D "$_PG_DIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$_PG_DIR/initdb.log" 2>&1; then
		# Older clusters may not know C.UTF-8.
		if ! _pg_as_server "$bin/initdb" -D "$_PG_DIR/data" -U postgres -A trust -E UTF8 --locale=C >"$_PG_DIR/initdb.log" 2>&1; then
			_pg_log "initdb failed:"
			cat "$_PG_DIR/initdb.log" >&2
			pg_stop
			return 1
		fi
	fi

	local opts=${RELEASEKIT_PG_OPTS:--c fsync=off -c full_page_writes=off -c max_connections=300}
	local port try started=""
	for try in 1 2 3 4 5 6 7 8; do
		port=$((20000 + (RANDOM % 20000)))
		_pg_port_free "$port" || continue
		_pg_log "starting on 127.0.0.1:$port (attempt $try)"
		if _pg_as_server "$bin/pg_ctl" -D "$_PG_DIR/data" -l "$_PG_DIR/server.log" -w -t 60 \
			-o "-k $_PG_DIR/sock -p $port -c listen_addresses=127.0.0.1 $opts" start >/dev/null; then
			started=1
			break
		fi
		_pg_log "start on port $port failed; server log:"
		tail -n 20 "$_PG_DIR/server.log" >&2 || true
	done
	if [ -z "$started" ]; then
		_pg_log "could not start the server"
		pg_stop
		return 1
	fi
	_PG_PORT=$port

	# pg_ctl -w already waited; make sure TCP connections are accepted too.
	local i
	for i in $(seq 1 60); do
		if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres; then break; fi
		if [ "$i" = 60 ]; then
			_pg_log "server not ready after 30s"
			pg_stop
			return 1
		fi
		sleep 0.5
	done

	local db=${RELEASEKIT_PG_DB:-releasekit}
	_pg_log "creating database $db"
	if ! "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres \
		-c "CREATE DATABASE \"$db\"" >/dev/null; then
		pg_stop
		return 1
	fi
	# btree_gist in public once, so that stores in many schemas share it.
	if ! "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d "$db" \
		-c "CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public" >/dev/null; then
		pg_stop
		return 1
	fi
	export RELEASEKIT_POSTGRES_DSN="postgres://postgres@127.0.0.1:$port/$db?sslmode=disable"
	# The restart tests of adapters/postgres restart this cluster mid-run.
	export RELEASEKIT_PG_DATA="$_PG_DIR/data" RELEASEKIT_PG_BIN="$_PG_BIN"
	_pg_log "ready: RELEASEKIT_POSTGRES_DSN=$RELEASEKIT_POSTGRES_DSN"
	return 0
}

pg_stop() {
	if [ -z "${_PG_DIR:-}" ]; then
		return 0
	fi
	if [ -f "$_PG_DIR/data/postmaster.pid" ]; then
		_pg_log "stopping the server in $_PG_DIR"
		_pg_as_server "$_PG_BIN/pg_ctl" -D "$_PG_DIR/data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
			_pg_log "pg_ctl stop failed (already stopped?)"
	fi
	_pg_log "removing $_PG_DIR"
	rm -rf "$_PG_DIR"
	unset _PG_DIR _PG_BIN _PG_PORT RELEASEKIT_POSTGRES_DSN RELEASEKIT_PG_DATA RELEASEKIT_PG_BIN
	return 0
}
