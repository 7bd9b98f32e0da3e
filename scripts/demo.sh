#!/bin/sh
# make demo: a broker with a demo config, a demo user owning demo
# containers, and a ctl session as that user. Run as root after
# `make all`, with dockerd running (make demo sees to both).
#
#   sh scripts/demo.sh          start (or reuse) the demo, enter ctl
#   sh scripts/demo.sh clean    remove everything the demo made (make
#                               demo-clean): broker, containers, image,
#                               user, PAM service, /run/NAME
#
# NAME is $CTL_DEMO_NAME, default ctldemo: the user, the containers'
# prefix, the PAM service and the directory are named after it, so that
# the demo never touches what it did not make (the tests run their own).
# The broker runs in a session of its own: Ctrl-C in the shell, at the
# prompt or to leave `logs -f`, never reaches it.
set -eu

NAME=${CTL_DEMO_NAME:-ctldemo}
DIR=/run/$NAME
IMAGE=$NAME/busybox:1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/build

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: run as root" >&2
	exit 1
fi

stop_broker() {
	[ -f $DIR/ctld.pid ] || return 0
	pid=$(cat $DIR/ctld.pid)
	if kill "$pid" 2>/dev/null; then
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
			i=$((i + 1))
			sleep 0.1
		done
	fi
	rm -f $DIR/ctld.pid
}

if [ "${1:-}" = clean ]; then
	stop_broker
	for c in $NAME-web $NAME-worker $NAME-other; do
		docker rm -f "$c" >/dev/null 2>&1 || true
	done
	docker image rm "$IMAGE" >/dev/null 2>&1 || true
	if id "$NAME" >/dev/null 2>&1; then
		userdel "$NAME"
	fi
	rm -f "/etc/pam.d/$NAME"
	rm -rf "$DIR"
	echo "demo: removed the broker, containers, image, user and PAM service of $NAME"
	exit 0
fi
if [ $# -gt 0 ]; then
	echo "usage: sh scripts/demo.sh [clean]" >&2
	exit 2
fi

if ! docker info >/dev/null 2>&1; then
	echo "demo: no dockerd answers; 'make demo' installs and starts one" >&2
	exit 1
fi
if [ ! -x /bin/busybox ]; then
	echo "demo: /bin/busybox is missing (apt-get install busybox-static)" >&2
	exit 1
fi
for f in ctld bin/ctl libexec/ctl/ctl-shell; do
	if [ ! -x "$BUILD/$f" ]; then
		echo "demo: $BUILD/$f is missing: run make first" >&2
		exit 1
	fi
done

mkdir -p $DIR
chmod 0755 $DIR
install -m 0755 "$BUILD/ctld" $DIR/
install -D -m 0755 "$BUILD/bin/ctl" $DIR/bin/ctl
install -D -m 0755 "$BUILD/libexec/ctl/ctl-shell" $DIR/libexec/ctl/ctl-shell
# a PAM service of the demo's own: an admin's /etc/pam.d/ctl stays as it is
install -m 0644 "$ROOT/etc/pam.d/ctl" "/etc/pam.d/$NAME"

if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
	root=$(mktemp -d)
	mkdir "$root/bin"
	cp /bin/busybox "$root/bin/busybox"
	for a in sh echo sleep date seq; do ln -s busybox "$root/bin/$a"; done
	tar -C "$root" -c . | docker import - "$IMAGE" >/dev/null
	rm -rf "$root"
fi

id "$NAME" >/dev/null 2>&1 || useradd -M -s /bin/sh "$NAME"

demo_container() {
	name=$1
	shift
	docker inspect "$name" >/dev/null 2>&1 && return 0
	docker run -d --name "$name" "$@" >/dev/null
}
demo_container $NAME-web --label ctl.owner=$NAME $IMAGE sh -c \
	'trap "exit 0" TERM; while true; do echo "$(date) GET / 200"; sleep 2; done'
demo_container $NAME-worker --label ctl.owner=$NAME $IMAGE sh -c \
	'trap "exit 0" TERM; i=0; while true; do i=$((i+1)); echo "job $i done"; echo "warning: job $i slow" >&2; sleep 5; done'
demo_container $NAME-other --label ctl.owner=root $IMAGE sleep 1000000

cat > $DIR/ctld.conf <<CONF
listen = { path = "$DIR/ctld.sock"; mode = 0666; };
docker = { socket = "/var/run/docker.sock"; api_version = "1.41"; };
pam = { service = "$NAME"; };
audit = { file = "$DIR/audit.jsonl"; syslog = false; };
ownership = { owner_label = "ctl.owner"; group_label = "ctl.group";
              owner_verbs = ["ls", "status", "logs", "start", "stop", "restart", "stats"]; };
rules = ( );
CONF
chmod 0644 $DIR/ctld.conf

if [ -f $DIR/ctld.pid ] && kill -0 "$(cat $DIR/ctld.pid)" 2>/dev/null; then
	kill -HUP "$(cat $DIR/ctld.pid)"
else
	# its own session: no signal from this terminal reaches it
	setsid $DIR/ctld -d -f $DIR/ctld.conf >>$DIR/ctld.log 2>&1 </dev/null &
	echo $! > $DIR/ctld.pid
	i=0
	until [ -S $DIR/ctld.sock ]; do
		i=$((i + 1))
		[ $i -lt 50 ] || { cat $DIR/ctld.log >&2; exit 1; }
		sleep 0.1
	done
fi

cat <<MSG
ctl demo: you are now "$NAME", who owns $NAME-web and $NAME-worker
($NAME-other belongs to root and does not exist for you). Try:
  ls    status $NAME-web    logs -f $NAME-web (Ctrl-C to stop)
  restart $NAME-worker    help    exit
The audit log is $DIR/audit.jsonl. 'make demo' again comes back here;
'make demo-clean' removes everything the demo made.
MSG
exec setpriv --reuid="$NAME" --regid="$NAME" --init-groups --reset-env \
	env CTL_SOCKET=$DIR/ctld.sock TERM="${TERM:-xterm}" $DIR/bin/ctl
