#!/bin/sh
# Installs what building and testing ctl need on Debian 12, then makes
# sure a dockerd is running. Safe to run again: it installs only what is
# missing and starts dockerd only if none answers.
set -eu

PKGS="make gcc pkg-config libcurl4-openssl-dev libjansson-dev
libconfig-dev libpam0g-dev libedit-dev libcmocka-dev docker.io
busybox-static python3-pytest python3-pytest-xdist python3-pexpect iproute2 procps
openssh-server openssh-client sysvinit-utils util-linux passwd
clang libclang-rt-14-dev systemd valgrind curl asciinema
dpkg-dev debhelper lintian logrotate"

# --demo (make demo): building, a dockerd and the demo's image and user
if [ "${1:-}" = --demo ]; then
	PKGS="make gcc pkg-config libcurl4-openssl-dev libjansson-dev
libconfig-dev libpam0g-dev libedit-dev docker.io busybox-static
util-linux passwd"
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: run as root (it installs packages and starts dockerd)" >&2
	exit 1
fi

missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "deps.sh: installing$missing"
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends $missing
fi

if docker info >/dev/null 2>&1; then
	exit 0
fi
if [ -d /run/systemd/system ] && systemctl start docker 2>/dev/null; then
	:
else
	echo "deps.sh: starting dockerd (log: /var/log/dockerd-ctl.log)"
	nohup dockerd >/var/log/dockerd-ctl.log 2>&1 &
fi
i=0
until docker info >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -gt 60 ]; then
		echo "deps.sh: dockerd did not come up; see /var/log/dockerd-ctl.log" >&2
		exit 1
	fi
	sleep 0.5
done
