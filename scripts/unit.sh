#!/bin/sh
# Runs the unit test programs named on the command line side by side
# (most of their time is spent waiting out timeouts), then prints each
# one's output in the order given. Fails if any failed.
set -u
out=$(mktemp -d) || exit 1
trap 'rm -rf "$out"' EXIT
i=0
for t in "$@"; do
	i=$((i + 1))
	{ "$t" >"$out/$i" 2>&1; echo $? >"$out/$i.rc"; } &
done
wait
i=0
rc=0
for t in "$@"; do
	i=$((i + 1))
	echo "== $t"
	cat "$out/$i"
	s=$(cat "$out/$i.rc")
	if [ "$s" != 0 ]; then
		echo "== $t: exit $s"
		rc=1
	fi
done
exit $rc
