#!/bin/sh
# Prints the line coverage of each broker, common and shell source file
# from the gcov data the unit tests left in the build directory $1, then
# the total over the broker's request path.
set -eu
b=${1:?usage: coverage.sh BUILD_DIR}
# the files a request passes through in ctld, past the config
REQUEST_PATH="actions audit can clientfd contain control engine imagename
inspect list logs outcome policy provision relay relayd resolve session
stats template"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%-28s %8s %8s\n' FILE LINES COVERED
total=0
hit=0
for src in broker/*.c common/*.c shell/*.c; do
	obj="$b/${src%.c}.gcno"
	[ -e "$obj" ] || continue
	out=$(cd "$tmp" && gcov -n -o "$OLDPWD/$b/$(dirname "$src")" \
		"$OLDPWD/$src" 2>/dev/null | awk -v f="$(basename "$src")" '
		$1 == "File" { want = index($2, "/" f "\x27") > 0 }
		want && /^Lines executed:/ {
			split($2, a, ":"); sub("%", "", a[2]); print a[2], $4; exit }')
	[ -n "$out" ] || out="0 0"
	pct=${out% *}
	n=${out#* }
	printf '%-28s %8s %7s%%\n' "$src" "$n" "$pct"
	base=$(basename "$src" .c)
	case " $(echo $REQUEST_PATH) " in
	*" $base "*)
		total=$((total + n))
		hit=$(awk -v t="$hit" -v n="$n" -v p="$pct" \
			'BEGIN { printf "%d", t + n * p / 100 + 0.5 }')
		;;
	esac
done
if [ "$total" -gt 0 ]; then
	printf '%-28s %8s %7s%%\n' "broker request path" "$total" \
		"$(awk -v h="$hit" -v t="$total" 'BEGIN { printf "%.1f", 100 * h / t }')"
fi
