#!/bin/sh
# scripts/shells.sh add|remove PATH: PATH in /etc/shells once, or not at
# all; add-shell and remove-shell (debianutils) where they exist.
set -eu
op=$1 shell=$2
SHELLS=${SHELLS_FILE:-/etc/shells}
case $op in
add)
	if [ "$SHELLS" = /etc/shells ] && command -v add-shell >/dev/null; then
		add-shell "$shell"
	elif ! grep -qxF "$shell" "$SHELLS" 2>/dev/null; then
		echo "$shell" >>"$SHELLS"
	fi ;;
remove)
	if [ "$SHELLS" = /etc/shells ] && command -v remove-shell >/dev/null; then
		remove-shell "$shell"
	elif [ -f "$SHELLS" ] && grep -qxF "$shell" "$SHELLS"; then
		grep -vxF "$shell" "$SHELLS" >"$SHELLS.new" || :
		chmod 0644 "$SHELLS.new"
		mv "$SHELLS.new" "$SHELLS"
	fi ;;
*)
	echo "usage: shells.sh add|remove PATH" >&2
	exit 2 ;;
esac
