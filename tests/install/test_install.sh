#!/bin/sh
# The installed layout, and a third-party driver built against it.
#
# Installs this build with `make install DESTDIR=<tmp>`, checks every file a
# user and a driver author rely on is where drover(1) and drover-sdk.pc say,
# then builds doc/examples/driver (the "echo" driver) exactly as its README
# tells an outside author to: a copy of the directory, `make` finding the SDK
# through pkg-config only. The installed drover must then list it next to the
# installed raw_exec, and run a job through it under the installed drover-shim.
#
# Where things are comes from AM_TESTS_ENVIRONMENT (tests/local.mk):
# DROVER_TEST_DROVER is <builddir>/host/drover, DROVER_TEST_SRCDIR the source
# tree (read-only under distcheck, hence the copy of the example).
# Exit codes follow the automake test protocol: 77 skip, 99 hard error.

strict=${DROVER_TEST_STRICT:-0}
make=${MAKE:-make}

missing() {
	if [ "$strict" = 1 ]; then
		echo "required for this test but missing (DROVER_TEST_STRICT=1): $1" >&2
		exit 99
	fi
	echo "skipping: $1" >&2
	exit 77
}

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

[ -n "$DROVER_TEST_DROVER" ] && [ -n "$DROVER_TEST_SRCDIR" ] ||
	{ echo "DROVER_TEST_DROVER and DROVER_TEST_SRCDIR must be set (run through make check)" >&2; exit 99; }
builddir=$(cd "$(dirname "$DROVER_TEST_DROVER")/.." && pwd) || exit 99
srcdir=$DROVER_TEST_SRCDIR
[ -f "$builddir/Makefile" ] || { echo "no Makefile in the build dir $builddir" >&2; exit 99; }
[ -f "$srcdir/doc/examples/driver/Makefile" ] || { echo "no example driver in $srcdir/doc/examples/driver" >&2; exit 99; }

command -v pkg-config >/dev/null 2>&1 || missing "pkg-config (install the Debian package pkg-config)"
command -v "${CC:-cc}" >/dev/null 2>&1 || missing "a C compiler, ${CC:-cc} (install build-essential)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/drover-install.XXXXXX") || exit 99
# drover run leaves nothing running once it returns; the directory is all there is.
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/dest

echo "== make install DESTDIR=$dest"
# -s: the install log is long and says nothing the checks below do not.
"$make" -s -C "$builddir" install DESTDIR="$dest" >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log" >&2; fail "make install DESTDIR=$dest failed in $builddir"; }

# <prefix> is whatever configure was given (distcheck uses its own): find it
# from bin/drover rather than assuming /usr/local.
drover_bin=$(find "$dest" -type f -name drover -path '*/bin/drover')
[ -n "$drover_bin" ] || fail "no bin/drover under $dest"
[ "$(printf '%s\n' "$drover_bin" | wc -l)" -eq 1 ] || fail "several bin/drover under $dest: $drover_bin"
root=${drover_bin%/bin/drover}
prefix=${root#"$dest"}
echo "prefix: $prefix"

echo "== installed layout"
check_file() { # path relative to $root, test flag
	[ "$2" "$root/$1" ] || fail "installed tree lacks $1 (test $2 failed on $root/$1)"
}
check_file bin/drover -x
check_file libexec/drover/drover-shim -x
check_file lib/drover/plugins/raw_exec.so -f
check_file include/drover/driver.h -f
check_file include/drover/schema.h -f
check_file include/drover/value.h -f
check_file lib/pkgconfig/drover-sdk.pc -f
check_file share/man/man1/drover.1 -f
check_file share/man/man7/drover-sdk.7 -f
# The example driver drover-sdk(7) points a driver author to.
check_file share/doc/drover/examples/driver/echo_driver.c -f
check_file share/doc/drover/examples/driver/Makefile -f
check_file share/doc/drover/examples/driver/README.md -f
# The host loads every *.so of the plugin directory and nothing else: a
# libtool .la left there is clutter a packager would ship.
leftover=$(find "$root/lib/drover/plugins" -name '*.la')
[ -z "$leftover" ] || fail "libtool archives installed in the plugin directory: $leftover"

# Every installed file and its size, for the log: a binary that grows tenfold
# (a static sanitizer runtime, debug info) shows up here.
echo "installed files (bytes):"
(cd "$root" && find . -type f -exec wc -c {} + | grep -v ' total$' | sort -k2) || exit 99

echo "== drover-sdk.pc"
export PKG_CONFIG_PATH="$root/lib/pkgconfig"
export PKG_CONFIG_SYSROOT_DIR="$dest"
pkg-config --exists drover-sdk || fail "pkg-config does not accept $root/lib/pkgconfig/drover-sdk.pc"
hdr=$root/include/drover/driver.h
hdr_major=$(sed -n 's/^#define DROVER_ABI_MAJOR \([0-9][0-9]*\)$/\1/p' "$hdr")
hdr_minor=$(sed -n 's/^#define DROVER_ABI_MINOR \([0-9][0-9]*\)$/\1/p' "$hdr")
[ -n "$hdr_major" ] && [ -n "$hdr_minor" ] || fail "no DROVER_ABI_MAJOR/MINOR in $hdr"
pc_major=$(pkg-config --variable=abi_major drover-sdk)
pc_minor=$(pkg-config --variable=abi_minor drover-sdk)
[ "$pc_major.$pc_minor" = "$hdr_major.$hdr_minor" ] ||
	fail "drover-sdk.pc says ABI $pc_major.$pc_minor, the installed driver.h $hdr_major.$hdr_minor"
# pkgconf puts the sysroot in front of paths, so these name the files in $dest.
plugindir=$(pkg-config --variable=plugindir drover-sdk)
[ "$plugindir" = "$root/lib/drover/plugins" ] ||
	fail "drover-sdk.pc plugindir is $plugindir, drover was installed with $root/lib/drover/plugins"
exampledir=$(pkg-config --variable=exampledir drover-sdk)
[ "$exampledir" = "$root/share/doc/drover/examples/driver" ] ||
	fail "drover-sdk.pc exampledir is $exampledir, the example was installed in $root/share/doc/drover/examples/driver"
# What the installed manual tells an author: where the example is, the
# SDK's real ABI minor, and nothing that only a source tree has.
man7=$root/share/man/man7/drover-sdk.7
grep -q 'examples/driver' "$man7" || fail "drover-sdk(7) does not point to the installed example"
grep -q 'plugins/rawexec' "$man7" && fail "drover-sdk(7) points to plugins/rawexec/, which is not installed"
grep -q "abi_minor drover-sdk  *# $pc_minor\$" "$man7" ||
	fail "drover-sdk(7) does not show abi_minor as $pc_minor, as drover-sdk.pc does"
for topic in 'WAIT DESCRIPTORS' 'THE STATE DIRECTORY' 'RECOVER IS CALLED FROM EVERY COMMAND' \
	'CRASHES AND BLOCKING' 'TASK EVENTS' 'TRYING A DRIVER'; do
	grep -q "^\.SH $topic" "$man7" || fail "drover-sdk(7) has no section $topic"
done
cflags=$(pkg-config --cflags drover-sdk | sed "s/ *$//") # pkgconf ends it with a space
[ "$cflags" = "-I$root/include" ] || fail "drover-sdk.pc Cflags are \"$cflags\", not -I$root/include"

echo "== the installed example driver, built out of tree"
# The copy an author makes of the installed example, as drover-sdk(7) says.
cp -R "$exampledir" "$tmp/driver" || exit 99
chmod -R u+w "$tmp/driver"
# The author's own make, not this build's: drop what the running make passes down.
ex_make() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "$make" -C "$tmp/driver" "$@"
}
ex_make CFLAGS="-O2 -g -Werror" >"$tmp/driver.log" 2>&1 ||
	{ cat "$tmp/driver.log" >&2; fail "the example driver does not build against the installed SDK"; }
[ -f "$tmp/driver/echo.so" ] || fail "the example's make produced no echo.so"
# Its install target must land where drover looks by default.
ex_make install >>"$tmp/driver.log" 2>&1 ||
	{ cat "$tmp/driver.log" >&2; fail "make install of the example driver failed"; }
[ -f "$root/lib/drover/plugins/echo.so" ] ||
	fail "make install of the example did not put echo.so into the plugin directory $root/lib/drover/plugins"
# Only the entry symbol is exported (-fvisibility=hidden).
if command -v nm >/dev/null 2>&1; then
	exported=$(nm -D --defined-only "$tmp/driver/echo.so" | awk '$2 ~ /^[TDBR]$/ { print $3 }')
	[ "$exported" = drover_driver_entry_v1 ] ||
		fail "echo.so exports more than drover_driver_entry_v1: $exported"
fi
# A broken SDK lookup is reported by name, not as a compiler error.
PKG_CONFIG_PATH=$tmp/nowhere ex_make clean all >"$tmp/nosdk.log" 2>&1 &&
	fail "the example built with no drover-sdk.pc to be found"
grep -q 'cannot find drover-sdk' "$tmp/nosdk.log" ||
	{ cat "$tmp/nosdk.log" >&2; fail "the example's make does not say drover-sdk was not found"; }
ex_make >>"$tmp/driver.log" 2>&1 || fail "the example does not build a second time"

plugins=$tmp/plugins
mkdir "$plugins" || exit 99
cp "$tmp/driver/echo.so" "$root/lib/drover/plugins/raw_exec.so" "$plugins/" || exit 99
cat >"$tmp/agent.json" <<'EOF'
{"plugin": {"raw_exec": {"config": {"enabled": true}}}}
EOF

echo "== drover plugins"
"$drover_bin" plugins -config "$tmp/agent.json" -plugin-dir "$plugins" >"$tmp/plugins.out" 2>&1 ||
	{ cat "$tmp/plugins.out" >&2; fail "the installed drover plugins failed"; }
cat "$tmp/plugins.out"
for d in echo raw_exec; do
	grep -Eq "^$d +[^ ]+ +$hdr_major\\.$hdr_minor +healthy +$plugins/$d\\.so\$" "$tmp/plugins.out" ||
		fail "drover plugins does not list $d with ABI $hdr_major.$hdr_minor, healthy, from $plugins/$d.so"
done
"$drover_bin" fingerprint -config "$tmp/agent.json" -plugin-dir "$plugins" >"$tmp/fp.out" 2>&1 ||
	{ cat "$tmp/fp.out" >&2; fail "the installed drover fingerprint failed"; }
grep -qx 'driver.echo = 1' "$tmp/fp.out" || fail "no attribute driver.echo = 1: $(cat "$tmp/fp.out")"
grep -qx 'driver.echo.version = 1.0.0' "$tmp/fp.out" ||
	fail "no attribute driver.echo.version = 1.0.0: $(cat "$tmp/fp.out")"

echo "== drover run, through the echo driver"
# The message holds what a shell would expand: the driver must print it as is.
cat >"$tmp/job.json" <<'EOF'
{"Job": {"ID": "install-check", "Name": "install-check", "Type": "batch",
  "TaskGroups": [{"Name": "g", "Count": 1, "RestartPolicy": {"Attempts": 0}, "Tasks": [{
    "Name": "say", "Driver": "echo",
    "Config": {"message": "it's $(not run) \"quoted\"", "exit_code": 3, "file": "local/said.txt"}}]}]}}
EOF
export DROVER_SHIM="$root/libexec/drover/drover-shim"
"$drover_bin" run -config "$tmp/agent.json" -plugin-dir "$plugins" -data-dir "$tmp/data" \
	"$tmp/job.json" >"$tmp/run.out" 2>&1
rc=$?
cat "$tmp/run.out"
# drover run exits 1 when a task exits non-zero; the task's own code is in its events.
[ "$rc" -eq 1 ] || fail "drover run exited $rc for a task that exits 3 (expected 1)"
grep -q 'Terminated *Exit Code: 3, Signal: 0' "$tmp/run.out" ||
	fail "drover run did not report the task's exit code 3"
expected='it'"'"'s $(not run) "quoted"'
log=$(find "$tmp/data/alloc" -path '*/alloc/logs/say.stdout.0')
[ -n "$log" ] || fail "no say.stdout.0 under $tmp/data/alloc/*/alloc/logs"
[ "$(cat "$log")" = "$expected" ] || fail "$log holds \"$(cat "$log")\", expected \"$expected\""
said=$(find "$tmp/data/alloc" -path '*/say/local/said.txt')
[ -n "$said" ] || fail "the task's file local/said.txt was not written in its task directory"
[ "$(cat "$said")" = "$expected" ] || fail "$said holds \"$(cat "$said")\", expected \"$expected\""

echo "== drover validate, the echo schema"
cat >"$tmp/bad.json" <<'EOF'
{"Job": {"ID": "bad", "Name": "bad", "Type": "batch",
  "TaskGroups": [{"Name": "g", "Count": 1, "Tasks": [{
    "Name": "say", "Driver": "echo", "Config": {"exit_code": "three"}}]}]}}
EOF
"$drover_bin" validate -config "$tmp/agent.json" -plugin-dir "$plugins" "$tmp/bad.json" \
	>"$tmp/validate.out" 2>&1 && fail "drover validate accepted an echo task without a message"
cat "$tmp/validate.out"
grep -q 'message' "$tmp/validate.out" || fail "drover validate does not name the missing field \"message\""
grep -q 'exit_code' "$tmp/validate.out" || fail "drover validate does not name the mistyped field \"exit_code\""

echo "PASS: installed layout under $prefix, and the echo driver built and run against it"
exit 0
