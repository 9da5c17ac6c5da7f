# shellcheck shell=bash
# apt_install installs Debian packages for the CI scripts that need a real server or
# browser (postgres.sh, prometheus.sh, chromium.sh), with sudo when not root.
# Meant to be SOURCED by those scripts.

apt_install() {
	local sudo=""
	if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
	$sudo apt-get update || return 1
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y "$@"
}
