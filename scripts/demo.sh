#!/bin/sh
# make demo: a broker with a demo config, a demo user owning demo
# containers, and a ctl session as that user. Run as root after
# `make deps all`. Everything lives in /run/ctl-demo; `sh scripts/demo.sh
# stop` ends the broker.
set -eu

DIR=/run/ctl-demo
USER_NAME=ctldemo
IMAGE=ctl-demo/busybox:1
BUILD=$(cd "$(dirname "$0")/.." && pwd)/build

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: run as root" >&2
	exit 1
fi
if [ "${1:-}" = stop ]; then
	[ -f $DIR/ctld.pid ] && kill "$(cat $DIR/ctld.pid)" 2>/dev/null || true
	rm -f $DIR/ctld.pid
	exit 0
fi

mkdir -p $DIR
chmod 0755 $DIR
install -m 0755 "$BUILD/ctld" $DIR/
install -D -m 0755 "$BUILD/bin/ctl" $DIR/bin/ctl
install -D -m 0755 "$BUILD/libexec/ctl/ctl-shell" $DIR/libexec/ctl/ctl-shell
[ -e /etc/pam.d/ctl ] || install -m 0644 "$BUILD/../etc/pam.d/ctl" /etc/pam.d/ctl

if ! docker image inspect $IMAGE >/dev/null 2>&1; then
	root=$(mktemp -d)
	mkdir "$root/bin"
	cp /bin/busybox "$root/bin/busybox"
	for a in sh echo sleep date seq; do ln -s busybox "$root/bin/$a"; done
	tar -C "$root" -c . | docker import - $IMAGE >/dev/null
	rm -rf "$root"
fi

id $USER_NAME >/dev/null 2>&1 || useradd -M -s /bin/sh $USER_NAME

demo_container() {
	name=$1
	shift
	docker inspect "$name" >/dev/null 2>&1 && return 0
	docker run -d --name "$name" --label ctl.owner=$USER_NAME "$@" >/dev/null
}
demo_container ctldemo-web $IMAGE sh -c \
	'trap "exit 0" TERM; while true; do echo "$(date) GET / 200"; sleep 2; done'
demo_container ctldemo-worker $IMAGE sh -c \
	'trap "exit 0" TERM; i=0; while true; do i=$((i+1)); echo "job $i done"; echo "warning: job $i slow" >&2; sleep 5; done'
docker inspect ctldemo-other >/dev/null 2>&1 ||
	docker run -d --name ctldemo-other --label ctl.owner=root $IMAGE sleep 1000000 >/dev/null

cat > $DIR/ctld.conf <<CONF
listen = { path = "$DIR/ctld.sock"; mode = 0666; };
docker = { socket = "/var/run/docker.sock"; api_version = "1.41"; };
pam = { service = "ctl"; };
audit = { file = "$DIR/audit.jsonl"; syslog = false; };
ownership = { owner_label = "ctl.owner"; group_label = "ctl.group";
              owner_verbs = ["ls", "status", "logs", "start", "stop", "restart", "stats"]; };
rules = ( );
CONF
chmod 0644 $DIR/ctld.conf

if [ -f $DIR/ctld.pid ] && kill -0 "$(cat $DIR/ctld.pid)" 2>/dev/null; then
	kill -HUP "$(cat $DIR/ctld.pid)"
else
	$DIR/ctld -d -f $DIR/ctld.conf >>$DIR/ctld.log 2>&1 &
	echo $! > $DIR/ctld.pid
	i=0
	until [ -S $DIR/ctld.sock ]; do
		i=$((i + 1))
		[ $i -lt 50 ] || { cat $DIR/ctld.log >&2; exit 1; }
		sleep 0.1
	done
fi

cat <<MSG
ctl demo: you are now "$USER_NAME", who owns ctldemo-web and ctldemo-worker
(ctldemo-other belongs to root and does not exist for you). Try:
  ls    status ctldemo-web    logs -f ctldemo-web (Ctrl-C to stop)
  restart ctldemo-worker    help    exit
The audit log is $DIR/audit.jsonl; stop the broker with
'sh scripts/demo.sh stop'.
MSG
exec setpriv --reuid=$USER_NAME --regid=$USER_NAME --init-groups --reset-env \
	env CTL_SOCKET=$DIR/ctld.sock TERM="${TERM:-xterm}" $DIR/bin/ctl
