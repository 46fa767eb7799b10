#!/bin/sh
# The README's tour, run as written: the lines between <!-- tour:begin --> and
# <!-- tour:end --> (a code block), from the top of a tree holding this
# build's host/ and the source's doc/, with none of the DROVER_* variables the
# test suite sets: the build tree must be usable as it is.
#
# Where things are comes from AM_TESTS_ENVIRONMENT (tests/local.mk).
# Exit codes follow the automake test protocol: 99 hard error.

[ -n "$DROVER_TEST_DROVER" ] && [ -n "$DROVER_TEST_SRCDIR" ] ||
	{ echo "DROVER_TEST_DROVER and DROVER_TEST_SRCDIR must be set (run through make check)" >&2; exit 99; }
builddir=$(cd "$(dirname "$DROVER_TEST_DROVER")/.." && pwd) || exit 99
srcdir=$(cd "$DROVER_TEST_SRCDIR" && pwd) || exit 99
readme=$srcdir/README.md
[ -f "$readme" ] || { echo "no $readme" >&2; exit 99; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/drover-tour.XXXXXX") || exit 99
tour=$tmp/tour.sh
cleanup() {
	# A tour cut short may leave its detached runner and task behind.
	if [ -d "$tmp/tree/tour-data" ]; then
		PATH=$builddir/host:$PATH DROVER_DATA_DIR=$tmp/tree/tour-data \
			drover stop "$(cat "$tmp/alloc" 2>/dev/null)" >/dev/null 2>&1
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

sed -n '/^<!-- tour:begin -->$/,/^<!-- tour:end -->$/p' "$readme" | sed -e '1d' -e '$d' |
	sed -n 's/^    //p' >"$tour"
[ "$(wc -l <"$tour")" -ge 10 ] || { echo "FAIL: no tour found in $readme" >&2; exit 1; }

# The tree the reader stands in: the build's host/ (drover finds its parts
# from its real location, so a link is enough) and the source's doc/.
mkdir -p "$tmp/tree" || exit 99
ln -s "$builddir/host" "$tmp/tree/host" && ln -s "$srcdir/doc" "$tmp/tree/doc" || exit 99

echo "== the tour from $readme"
cat "$tour"
echo "=="
# Each line echoed before it runs; the first that fails fails the test.
(
	cd "$tmp/tree" &&
	env -u DROVER_SHIM -u DROVER_EXEC_INIT -u DROVER_DOCKER_LOGGER -u DROVER_PLUGIN_DIR \
		-u DROVER_DATA_DIR bash -e -x "$tour"
) >"$tmp/out" 2>&1
rc=$?
cat "$tmp/out"
grep -o 'alloc=[0-9a-f-]*' "$tmp/out" | head -1 | cut -d= -f2 >"$tmp/alloc"
[ $rc -eq 0 ] || { echo "FAIL: the tour stopped at a failing line (exit $rc)" >&2; exit 1; }
grep -q 'hello from inside' "$tmp/out" || { echo "FAIL: drover exec printed nothing" >&2; exit 1; }
echo "PASS: every line of the tour ran"
