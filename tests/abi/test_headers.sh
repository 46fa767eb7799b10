#!/bin/sh
# Each public SDK header compiles alone: as strict C99 (what driver authors may
# use) and as C++ (drivers written in C++ include it too). A header that leans
# on an include it does not make, or on a GNU extension, fails here.
# Exit codes follow the automake test protocol: 77 skip, 99 hard error.

srcdir=${srcdir:-.}
include_dir="$srcdir/sdk/include"
strict=${DROVER_TEST_STRICT:-0}

missing() {
	if [ "$strict" = 1 ]; then
		echo "required for this test but missing (DROVER_TEST_STRICT=1): $1" >&2
		exit 99
	fi
	echo "skipping: $1" >&2
	exit 77
}

command -v gcc >/dev/null 2>&1 || missing "gcc (install the Debian package gcc)"
command -v g++ >/dev/null 2>&1 || missing "g++ (install the Debian package g++)"

headers=$(cd "$include_dir" && ls drover/*.h) || exit 99
[ -n "$headers" ] || { echo "no headers found under $include_dir/drover" >&2; exit 99; }

work=$(mktemp -d) || exit 99
trap 'rm -rf "$work"' EXIT

failed=0
for h in $headers; do
	ok=1
	printf '#include <%s>\n' "$h" >"$work/alone.c"
	if ! gcc -std=c99 -pedantic -Werror -Wall -Wextra -fsyntax-only -I"$include_dir" "$work/alone.c"; then
		echo "FAIL: $h does not compile alone as C99 (gcc -std=c99 -pedantic -Werror -Wall -Wextra)" >&2
		ok=0
	fi
	if ! g++ -x c++ -Wall -Wextra -Werror -fsyntax-only -I"$include_dir" "$work/alone.c"; then
		echo "FAIL: $h does not compile alone as C++ (g++ -x c++ -Wall -Wextra -Werror)" >&2
		ok=0
	fi
	if [ $ok = 1 ]; then echo "ok: $h"; else failed=1; fi
done
exit $failed
