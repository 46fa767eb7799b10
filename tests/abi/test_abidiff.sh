#!/bin/sh
# The public type surface of the SDK, as libabigail reads it from the debug
# info of tests/abi/libdroverabisurface.so (built from sdk/abi/abi_surface.c),
# compared against the committed ABI 1.0 baseline sdk/abi/drover-sdk-1.abi.
# Members appended at the end of a size-prefixed struct are accepted
# (sdk/abi/appended-members.suppr); any other change fails.
#
# After an intended minor release (members appended), regenerate the baseline
# from a build directory and commit it together with the header change:
#   abidw --no-corpus-path --no-comp-dir-path --no-show-locs \
#     tests/abi/.libs/libdroverabisurface.so |
#   sed "s|path='[^']*/sdk/abi/|path='sdk/abi/|" >$srcdir/sdk/abi/drover-sdk-1.abi
# (the sed keeps the build machine's paths out of the committed file).
# A change this test refuses is an ABI break: it needs a new major, a new
# entry symbol and a new baseline file, never an edited one.
#
# Exit codes follow the automake test protocol: 77 skip, 99 hard error.

srcdir=${srcdir:-.}
strict=${DROVER_TEST_STRICT:-0}
# DROVER_ABI_SURFACE_LIB: check another build of sdk/abi/abi_surface.c (how
# the test itself was checked against headers with two members swapped).
lib=${DROVER_ABI_SURFACE_LIB:-tests/abi/.libs/libdroverabisurface.so}
baseline=$srcdir/sdk/abi/drover-sdk-1.abi
suppr=$srcdir/sdk/abi/appended-members.suppr

missing() {
	if [ "$strict" = 1 ]; then
		echo "required for this test but missing (DROVER_TEST_STRICT=1): $1" >&2
		exit 99
	fi
	echo "skipping: $1" >&2
	exit 77
}

command -v abidw >/dev/null 2>&1 || missing "abidw (install the Debian package abigail-tools)"
command -v abidiff >/dev/null 2>&1 || missing "abidiff (install the Debian package abigail-tools)"

for f in "$lib" "$baseline" "$suppr"; do
	[ -f "$f" ] || { echo "$f: missing (is the check library built? run make check)" >&2; exit 99; }
done

work=$(mktemp -d) || exit 99
trap 'rm -rf "$work"' EXIT

if ! abidw --no-corpus-path --no-comp-dir-path --no-show-locs "$lib" >"$work/current.abi"; then
	echo "FAIL: abidw could not read $lib" >&2
	exit 99
fi

# Without debug info abidw sees only the exported symbol, and abidiff would
# compare nothing: make sure every public struct is in the dump.
for t in drover_driver drover_host drover_err drover_capabilities drover_fingerprint \
	drover_task_config drover_handle drover_exit_result drover_task_status drover_task_stats \
	drover_event drover_exec_request drover_spawn_request drover_proc drover_field drover_value \
	drover_mount drover_network drover_network_request drover_network_created; do
	if ! grep -q "<class-decl name='$t'" "$work/current.abi"; then
		echo "FAIL: struct $t is not in the debug info of $lib: was it built without -g" \
			"(CFLAGS=-g0?), or is it no longer reachable from sdk/abi/abi_surface.c?" >&2
		exit 99
	fi
done

abidiff --suppressions "$suppr" "$baseline" "$work/current.abi" >"$work/diff.txt" 2>&1
rc=$?
# abidiff's status is a bit set: 1 error, 2 usage error, 4 ABI change,
# 8 incompatible ABI change.
if [ $((rc & 3)) -ne 0 ]; then
	cat "$work/diff.txt" >&2
	echo "FAIL: abidiff could not compare $baseline with $lib (status $rc)" >&2
	exit 99
fi
if [ "$rc" -ne 0 ]; then
	cat "$work/diff.txt" >&2
	echo "FAIL: the SDK types changed incompatibly against the ABI 1.0 baseline $baseline" \
		"(see above). Within major 1 only appending members to a struct with a" \
		"struct_size is allowed." >&2
	exit 1
fi

# Second pass, because the suppression is wider than it says: libabigail 2.2
# applies has_data_member_inserted_at=end to a struct whose existing members
# moved when nothing was inserted (two members swapped were "filtered out"
# when this test was written). So every leaf change abidiff sees without
# suppressions must be of the one allowed shape: a listed struct that grew,
# by members inserted (the first pass proved: at the end), nothing else.
abidiff --no-default-suppression --leaf-changes-only "$baseline" "$work/current.abi" \
	>"$work/leaves.txt" 2>&1
rc=$?
if [ $((rc & 3)) -ne 0 ]; then
	cat "$work/leaves.txt" >&2
	echo "FAIL: abidiff could not compare $baseline with $lib (status $rc)" >&2
	exit 99
fi
allowed=$(sed -n 's/^ *name_regexp *= *//p' "$suppr")
[ -n "$allowed" ] || { echo "$suppr: no name_regexp line" >&2; exit 99; }
if ! awk -v allowed="$allowed" '
	/^$/ { next }
	/^Leaf changes summary: / || /^Changed leaf types summary: / { next }
	/^Removed\/Changed\/Added (functions|variables) summary: 0 Removed, 0 Changed, 0 Added (function|variable)$/ { next }
	/^\x27struct [a-z0-9_]+\x27 changed:$/ {
		name = $2; gsub(/\x27/, "", name)
		if (name ~ allowed) next
	}
	/^  type size changed from [0-9]+ to [0-9]+ \(in bits\)$/ { if ($7 + 0 > $5 + 0) next }
	/^  [0-9]+ data member insertions?:$/ { next }
	/^    \x27.*\x27, at offset [0-9]+ \(in bits\)$/ { next }
	{ print "not an append to a size-prefixed struct: " $0; bad = 1 }
	END { exit bad }
' "$work/leaves.txt" >&2; then
	cat "$work/leaves.txt" >&2
	echo "FAIL: the SDK types changed incompatibly against the ABI 1.0 baseline $baseline" \
		"(see above). Within major 1 only appending members to a struct with a" \
		"struct_size is allowed." >&2
	exit 1
fi
echo "ok: the SDK types are compatible with $baseline"
exit 0
