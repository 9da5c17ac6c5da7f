# shellcheck shell=bash
# Headless Chromium for the browser tests (the HTML report, release/report_browser_test.go).
#
# Meant to be SOURCED (by .ci/run or by hand), not executed:
#
#   source .ci/chromium.sh
#   chromium_ensure          # exports RELEASEKIT_CHROMIUM
#   go test -race -run Chromium ./release/
#
# chromium_ensure finds the chromium binary (RELEASEKIT_CHROMIUM, then chromium or
# chromium-browser on PATH), installing Debian's chromium package with apt-get when it
# is missing, and exports RELEASEKIT_CHROMIUM. The tests start it themselves, headless,
# in a profile of their own, one page at a time; nothing keeps running afterwards.
#
# Without it the tests skip with a message (under CI=true they fail instead).

# shellcheck source=.ci/apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt.sh"

_chromium_log() { printf '== chromium: %s\n' "$*" >&2; }

chromium_ensure() {
	local bin=${RELEASEKIT_CHROMIUM:-}
	if [ -z "$bin" ]; then bin=$(command -v chromium || command -v chromium-browser || true); fi
	if [ -z "$bin" ]; then
		_chromium_log "chromium not found: installing Debian's chromium package"
		apt_install --no-install-recommends chromium || return 1
		bin=$(command -v chromium || true)
		if [ -z "$bin" ]; then
			_chromium_log "chromium installed but not on PATH"
			return 1
		fi
	fi
	_chromium_log "using $bin ($("$bin" --version 2>/dev/null | head -n 1))"
	export RELEASEKIT_CHROMIUM="$bin"
}
