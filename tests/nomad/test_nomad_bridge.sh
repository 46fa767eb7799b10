#!/bin/sh
# Conformance of drover-nomad-driver against a client nobody here wrote:
# Debian's hashicorp/go-plugin and grpc-go, driven by tests/nomad/client in
# Nomad's order (see that program). Builds the client offline in GOPATH mode
# from /usr/share/gocode, with Go stubs generated from drover's own .proto
# files by the protoc-gen-go in that tree.
#
# NOMAD_TEST_SCENARIOS: the drivers to run (default: raw_exec exec docker echo;
# echo is the out-of-tree example driver, doc/examples/driver, built here with
# the installed-SDK headers of this tree).
# Exit codes follow the automake test protocol: 77 skip, 99 hard error.

srcdir=${DROVER_TEST_SRCDIR:-${srcdir:-.}}
strict=${DROVER_TEST_STRICT:-0}
bridge=${DROVER_NOMAD_BRIDGE:-nomad/drover-nomad-driver}
plugins=${DROVER_TEST_PLUGIN_DIR:-tests/plugins.d}
gocode=/usr/share/gocode

missing() {
	if [ "$strict" = 1 ]; then
		echo "required for this test but missing (DROVER_TEST_STRICT=1): $1" >&2
		exit 99
	fi
	echo "skipping: $1" >&2
	exit 77
}

[ -x "$bridge" ] || missing "$bridge (configure found no gRPC/protobuf-c: install libgrpc-dev libprotobuf-c-dev protobuf-c-compiler libprotobuf-dev)"
command -v go >/dev/null 2>&1 || missing "go (install the Debian package golang-go)"
command -v protoc >/dev/null 2>&1 || missing "protoc (install the Debian package protobuf-compiler)"
for pkg in github.com/hashicorp/go-plugin google.golang.org/grpc github.com/zclconf/go-cty/cty \
	github.com/golang/protobuf/protoc-gen-go google.golang.org/protobuf; do
	[ -d "$gocode/src/$pkg" ] || missing "$gocode/src/$pkg (install golang-github-hashicorp-go-plugin-dev golang-google-grpc-dev golang-google-protobuf-dev golang-github-zclconf-go-cty-dev)"
done

work=$(mktemp -d) || exit 99
image=drover-nomad-test/busybox:r$$
pause_image=drover-nomad-test/pause:r$$
cleanup() {
	docker image rm -f "$image" "$pause_image" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
# The Go build cache outlives the test: the first build takes a minute.
gobuild=$(pwd)/tests/nomad/go
mkdir -p "$gobuild/bin" "$gobuild/src/drover/nomadclient" || exit 99
# The bridge keeps the tasks' private state directories here.
export DROVER_NOMAD_DATA_DIR="$work/data"
export GO111MODULE=off GOFLAGS= GOPATH="$gobuild:$gocode" GOCACHE="$gobuild/cache" GOPROXY=off

if [ ! -x "$gobuild/bin/protoc-gen-go" ]; then
	go build -o "$gobuild/bin/protoc-gen-go" github.com/golang/protobuf/protoc-gen-go || exit 99
fi
proto=$srcdir/nomad/proto
map="Mhclspec.proto=drover/nomadpb/hclspec,Mstructs.proto=drover/nomadpb/structs"
map="$map,Mbase.proto=drover/nomadpb/base,Mbase_service.proto=drover/nomadpb/base"
map="$map,Mdriver.proto=drover/nomadpb/drivers,Mdriver_service.proto=drover/nomadpb/drivers"
# golang/protobuf 1.3 (the runtime grpc-go 1.33 uses here) needs its own
# well-known types, not the protobuf v2 ones the .proto files name.
map="$map,Mgoogle/protobuf/duration.proto=github.com/golang/protobuf/ptypes/duration"
map="$map,Mgoogle/protobuf/timestamp.proto=github.com/golang/protobuf/ptypes/timestamp"
gen=$work/gen
for set in hclspec:hclspec.proto structs:structs.proto base:"base.proto base_service.proto" \
	drivers:"driver.proto driver_service.proto"; do
	pkg=${set%%:*}
	files=${set#*:}
	mkdir -p "$gen/$pkg" || exit 99
	# shellcheck disable=SC2086
	(cd "$proto" && PATH="$gobuild/bin:$PATH" protoc --proto_path=. --proto_path=/usr/include \
		--go_out="plugins=grpc,$map:$gen/$pkg" $files) || exit 99
	mkdir -p "$gobuild/src/drover/nomadpb/$pkg" || exit 99
	for f in "$gen/$pkg"/*.pb.go; do
		cmp -s "$f" "$gobuild/src/drover/nomadpb/$pkg/${f##*/}" || cp "$f" "$gobuild/src/drover/nomadpb/$pkg/" || exit 99
	done
done
cmp -s "$srcdir/tests/nomad/client/main.go" "$gobuild/src/drover/nomadclient/main.go" ||
	cp "$srcdir/tests/nomad/client/main.go" "$gobuild/src/drover/nomadclient/" || exit 99
go build -o "$gobuild/bin/nomad_client" drover/nomadclient || exit 99

# Waits up to 10 s for a shell condition; the bridge offers no event to block
# on from a shell, so this looks every 50 ms until the deadline.
wait_until() {
	i=0
	while ! eval "$1"; do
		i=$((i + 1))
		[ $i -lt 200 ] || return 1
		sleep 0.05
	done
}

# The plugin's own lifecycle, without go-plugin: SIGTERM, and the death of the
# process that started it (Nomad's client), each remove the socket and end it.
lifecycle() {
	how=$1
	out=$work/hs-$how
	: > "$out"
	NOMAD_PLUGIN_MAGIC_COOKIE=e4327c2e01eabfd75a8a67adb114fb34a757d57eee7728d857a8cec6e91a7255 \
	PLUGIN_PROTOCOL_VERSIONS=1,2 PLUGIN_UNIX_SOCKET_DIR=$work \
		sh -c '"$0" "$1" > "$2" & echo $! > "$2.pid"; wait' "$bridge" "$plugins/raw_exec.so" "$out" &
	parent=$!
	wait_until "grep -q '|grpc|' '$out'" || { echo "FAIL: $how: no handshake line"; return 1; }
	bpid=$(cat "$out.pid")
	sock=$(cut -d'|' -f4 "$out")
	line=$(cat "$out")
	[ "$line" = "1|2|unix|$sock|grpc|" ] || { echo "FAIL: $how: handshake line \"$line\""; return 1; }
	[ -S "$sock" ] || { echo "FAIL: $how: no socket $sock"; return 1; }
	case $how in
	sigterm) kill -TERM "$bpid" ;;
	parent-death) kill -KILL "$parent" ;;
	esac
	wait_until "! kill -0 $bpid 2>/dev/null" || { echo "FAIL: $how: plugin $bpid still running"; kill -KILL "$bpid"; return 1; }
	[ ! -e "$sock" ] || { echo "FAIL: $how: socket $sock left behind"; return 1; }
	wait "$parent" 2>/dev/null
	echo "ok: $how: the plugin exited and removed its socket"
}

status=0
lifecycle sigterm || status=1
lifecycle parent-death || status=1

# A scenario that cannot run here is skipped, the others still run.
skipped=
skip() {
	echo "skipping scenario $1: $2" >&2
	skipped="$skipped $1"
}

# The drivers' helper programs, from this build tree.
top=$(pwd)
[ -n "${DROVER_EXEC_INIT:-}" ] || export DROVER_EXEC_INIT="$top/plugins/exec/drover-exec-init"
[ -n "${DROVER_DOCKER_LOGGER:-}" ] || export DROVER_DOCKER_LOGGER="$top/plugins/docker/drover-docker-logger"

for name in ${NOMAD_TEST_SCENARIOS:-raw_exec exec docker echo}; do
	so=$plugins/$name.so
	extra=
	case $name in
	echo)
		so=$work/echo.so
		${CC:-cc} -std=gnu99 -pthread -Wall -Wextra -Werror -shared -fPIC -fvisibility=hidden -Wl,-z,now -I"$srcdir/sdk/include" \
			-o "$so" "$srcdir/doc/examples/driver/echo_driver.c" || exit 99
		;;
	exec)
		[ "$(id -u)" = 0 ] || { skip exec "the exec driver needs root"; continue; }
		extra="-dns"
		# A copy of drover-exec-init the client takes away to make the
		# driver unhealthy (the Fingerprint stream must say so).
		cp "$DROVER_EXEC_INIT" "$work/exec-init" || exit 99
		extra="$extra -health-file $work/exec-init"
		;;
	docker)
		docker version >/dev/null 2>&1 ||
			{ skip docker "no dockerd reachable (scripts/test-services.sh start)"; continue; }
		# The test image, built locally: busybox-static, nothing from the network.
		d=$work/rootfs
		mkdir -p "$d/bin" && cp /bin/busybox "$d/bin/busybox" || {
			skip docker "no /bin/busybox (install the Debian package busybox-static)"; continue; }
		for a in sh sleep echo cat true readlink hostname; do ln -s busybox "$d/bin/$a"; done
		tar -C "$d" -cf "$work/rootfs.tar" . && docker import "$work/rootfs.tar" "$image" >/dev/null ||
			exit 99
		extra="-image $image -dns"
		# Group networks: CreateNetwork's pause container runs the test's own
		# pause program (tests/fixtures/pause), imported as an image; the
		# namespace is pinned under /run/netns, which takes root.
		pause=${DROVER_TEST_PAUSE:-$top/tests/fixtures/pause/drover-test-pause}
		if [ "$(id -u)" != 0 ]; then
			skip docker-network "pinning a network namespace needs root"
		elif [ ! -x "$pause" ]; then
			skip docker-network "no $pause (make check builds it)"
		else
			p=$work/pause
			mkdir -p "$p" && cp "$pause" "$p/pause" && tar -C "$p" -cf "$p.tar" pause &&
				docker import --change 'ENTRYPOINT ["/pause"]' "$p.tar" "$pause_image" >/dev/null || exit 99
			extra="$extra -infra-image $pause_image"
		fi
		;;
	esac
	[ -f "$so" ] || { echo "$so: missing (run make check)" >&2; exit 99; }
	echo "== $name"
	mkdir -p "$work/$name" || exit 99
	# shellcheck disable=SC2086
	if [ "$name" = exec ]; then
		init=$work/exec-init
	else
		init=$DROVER_EXEC_INIT
	fi
	DROVER_EXEC_INIT=$init DROVER_NOMAD_FINGERPRINT_INTERVAL_MS=200 \
	"$gobuild/bin/nomad_client" -bridge "$bridge" -plugin "$so" -scenario "$name" \
		-workdir "$work/$name" $extra || status=1
done
[ "$status" = 0 ] || exit 1
[ -z "$skipped" ] || missing "scenarios:$skipped"
exit 0
