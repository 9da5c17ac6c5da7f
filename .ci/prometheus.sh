# shellcheck shell=bash
# Throwaway Prometheus server for the tests of adapters/prometheus.
#
# Meant to be SOURCED (by .ci/run or by hand), not executed:
#
#   source .ci/prometheus.sh
#   prom_start               # exports RELEASEKIT_PROMETHEUS_URL and RELEASEKIT_PROMETHEUS_TARGETS
#   trap prom_stop EXIT      # or call prom_stop yourself at the end
#   go test -race ./adapters/prometheus/...
#
# prom_start finds the prometheus binary (RELEASEKIT_PROMETHEUS_BIN, then PATH),
# installing Debian's prometheus package with apt-get when it is missing; writes a
# config (adapters/prometheus/testdata/prometheus.yml) to a temporary directory that scrapes, every second, the targets listed in
# a file_sd file of that directory (the tests write their exporter's address there);
# starts the server on 127.0.0.1 at a free port with its data in that directory;
# waits until it is ready; and exports RELEASEKIT_PROMETHEUS_URL (the server) and
# RELEASEKIT_PROMETHEUS_TARGETS (the file_sd file).
#
# Without RELEASEKIT_PROMETHEUS_URL the tests start a server of their own from the
# same binary when it is installed, and skip with a message when it is not (under
# CI=true they fail instead).
#
# prom_stop stops the server and removes the directory. It is idempotent and safe to
# call from an EXIT trap even when prom_start failed half-way.

# shellcheck source=.ci/apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt.sh"

_prom_log() { printf '== prometheus: %s\n' "$*" >&2; }

_prom_port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# _prom_ready reports whether the server on 127.0.0.1:$1 answers /-/ready with 200
# (bash's /dev/tcp, so that nothing else needs installing).
_prom_ready() {
	(
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf 'GET /-/ready HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
		read -r -t 2 _ code _ <&3 && [ "$code" = 200 ]
	) 2>/dev/null
}

prom_start() {
	if [ -n "${_PROM_DIR:-}" ]; then
		_prom_log "already running in $_PROM_DIR (call prom_stop first)"
		return 0
	fi
	local bin=${RELEASEKIT_PROMETHEUS_BIN:-}
	if [ -z "$bin" ]; then bin=$(command -v prometheus || true); fi
	if [ -z "$bin" ]; then
		_prom_log "prometheus not found: installing Debian's prometheus package"
		apt_install --no-install-recommends prometheus || return 1
		bin=$(command -v prometheus || true)
		if [ -z "$bin" ]; then
			_prom_log "prometheus installed but not on PATH"
			return 1
		fi
	fi
	_prom_log "using $bin ($("$bin" --version 2>&1 | head -n 1))"
	# The package's service, where an init system started one, is not ours: the
	# tests use only the server started below.

	_PROM_DIR=$(mktemp -d "${TMPDIR:-/tmp}/releasekit-prom.XXXXXX") || return 1
	echo '[]' >"$_PROM_DIR/targets.json"
	local here
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	sed "s|@TARGETS@|$_PROM_DIR/targets.json|" "$here/adapters/prometheus/testdata/prometheus.yml" >"$_PROM_DIR/prometheus.yml" || return 1
	local port try i
	for try in 1 2 3 4 5; do
		port=$((20000 + (RANDOM % 20000)))
		_prom_port_free "$port" || continue
		_prom_log "starting on 127.0.0.1:$port (attempt $try)"
		"$bin" --config.file="$_PROM_DIR/prometheus.yml" --storage.tsdb.path="$_PROM_DIR/data" \
			--web.listen-address="127.0.0.1:$port" --log.level=warn >"$_PROM_DIR/server.log" 2>&1 &
		_PROM_PID=$!
		for i in $(seq 1 120); do
			if ! kill -0 "$_PROM_PID" 2>/dev/null; then break; fi
			if _prom_ready "$port"; then
				export RELEASEKIT_PROMETHEUS_URL="http://127.0.0.1:$port"
				export RELEASEKIT_PROMETHEUS_TARGETS="$_PROM_DIR/targets.json"
				_prom_log "ready: RELEASEKIT_PROMETHEUS_URL=$RELEASEKIT_PROMETHEUS_URL"
				return 0
			fi
			sleep 0.25
		done
		_prom_log "start on port $port failed; server log:"
		tail -n 20 "$_PROM_DIR/server.log" >&2 || true
		kill "$_PROM_PID" 2>/dev/null || true
		wait "$_PROM_PID" 2>/dev/null || true
		unset _PROM_PID
	done
	_prom_log "could not start the server"
	prom_stop
	return 1
}

prom_stop() {
	if [ -n "${_PROM_PID:-}" ]; then
		_prom_log "stopping the server (pid $_PROM_PID)"
		kill "$_PROM_PID" 2>/dev/null || true
		wait "$_PROM_PID" 2>/dev/null || true
	fi
	if [ -n "${_PROM_DIR:-}" ]; then
		rm -rf "$_PROM_DIR"
	fi
	unset _PROM_PID _PROM_DIR RELEASEKIT_PROMETHEUS_URL RELEASEKIT_PROMETHEUS_TARGETS
	return 0
}
