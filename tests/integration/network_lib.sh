# Sourced by test_network.sh and test_network_docker.sh (from the directory
# they are in): what a group networking test needs in its driver part and in
# each case, which runs in its own network and mount namespaces.
#
# Exit codes follow the automake test protocol: 77 skip, 99 hard error.

strict=${DROVER_TEST_STRICT:-0}
drover=${DROVER_TEST_DROVER:-$(pwd)/host/drover}
plugins=${DROVER_TEST_PLUGIN_DIR:-$(pwd)/tests/plugins.d}
cni=/usr/lib/cni
deadline=60 # seconds, for anything a case waits for

missing() {
	if [ "$strict" = 1 ]; then
		echo "required for this test but missing (DROVER_TEST_STRICT=1): $1" >&2
		exit 99
	fi
	echo "skipping: $1" >&2
	exit 77
}

# Uses the case's $case and $work.
fail() {
	echo "FAIL [$case]: $*" >&2
	[ -f "$work/data/drover-run.log" ] && sed 's/^/  run.log: /' "$work/data/drover-run.log" >&2
	[ -f "$work/agent.log" ] && sed 's/^/  agent.log: /' "$work/agent.log" >&2
	exit 1
}

# wait_for SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds.
wait_for() {
	limit=$(( $1 * 10 )); shift
	i=0
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -ge $limit ] && return 1
		sleep 0.1
	done
	return 0
}

# In a case's own namespaces: its own /run/netns and CNI leases (tmpfs), lo
# up, and portmap's DNAT of connections to 127.0.0.1 allowed
# (route_localnet, in this namespace only).
net_case_namespace() {
	mount -t tmpfs tmpfs /run/netns || fail "cannot mount a tmpfs on /run/netns"
	mount -t tmpfs tmpfs /var/lib/cni || fail "cannot mount a tmpfs on /var/lib/cni"
	ip link set lo up || fail "ip link set lo up"
	sysctl -qw net.ipv4.conf.all.route_localnet=1 || fail "cannot set route_localnet"
}

# net_require COMMAND...: root, these commands and the CNI plugins, or a skip.
net_require() {
	[ "$(id -u)" = 0 ] || missing "root (network namespaces, bridges, iptables)"
	for c in "$@"; do
		command -v $c >/dev/null 2>&1 || missing "$c (scripts/install-deps.sh installs it)"
	done
	for p in bridge host-local loopback portmap firewall; do
		[ -x "$cni/$p" ] || missing "$cni/$p (install the Debian package containernetworking-plugins)"
	done
}

# The shim and drover-exec-init of the build tree unless the environment
# names them, for the cases; the mount points of each case's own tmpfs
# (iproute2 and CNI use these paths).
net_driver_env() {
	: "${DROVER_SHIM:=$(pwd)/host/shim/drover-shim}"
	: "${DROVER_EXEC_INIT:=$(pwd)/plugins/exec/drover-exec-init}"
	export DROVER_SHIM DROVER_EXEC_INIT
	mkdir -p /run/netns /var/lib/cni || exit 99
}

# What a case of $work left besides its processes; a test redefines it.
net_case_leftovers() {
	:
}

# net_run_cases TEMPLATE ARG...: runs each case of $cases as
# `sh $0 --case CASE WORK N ARG...` in its own network and mount namespaces,
# WORK a fresh directory made from the mktemp TEMPLATE and N the case's
# number (its bridge's and subnet's); says PASS or FAIL for each, and removes
# what a case left. Returns 1 when a case failed.
net_run_cases() {
	template=$1
	shift
	status=0
	n=$(( ($$ % 200) + 20 ))
	for c in $cases; do
		work=$(mktemp -d "$template") || exit 99
		n=$((n + 1))
		# Its own network and mount namespaces; everything it started
		# dies with them (the case kills its processes, and a leftover
		# is killed below by its data dir).
		if unshare --net --mount --propagation private -- sh "$0" --case "$c" "$work" "$n" "$@"; then
			echo "PASS: $c"
		else
			echo "FAIL: $c"
			status=1
		fi
		# Processes of the case that outlived it (a task, a runner):
		# found by the case's directory in their command line.
		for p in $(grep -l "$work" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3); do
			kill -9 "$p" 2>/dev/null
		done
		net_case_leftovers "$work"
		umount -R "$work/data" 2>/dev/null
		rm -rf "$work"
	done
	return $status
}
