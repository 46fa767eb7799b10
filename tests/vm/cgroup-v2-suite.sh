#!/bin/bash
# Runs inside the test VM (tests/vm/drover-vm-run.sh), as root on a kernel
# whose cgroup2 mount holds every controller: the drivers' cgroup tests on real
# cgroup v2, twice: with drover's tree at the root of the hierarchy (as a
# systemd host's drover.slice), and in a delegated subtree (DROVER_CGROUP_ROOT)
# where this process is not at the root. $1: the build directory.
set -uo pipefail
top=${1:?build directory}
cd "$top" || exit 1
cg=/sys/fs/cgroup
fail=0

[ -f $cg/cgroup.controllers ] || { echo "no cgroup2 at $cg" >&2; exit 1; }
for c in memory cpu pids; do
	grep -qw "$c" $cg/cgroup.controllers || { echo "cgroup v2 has no $c controller" >&2; exit 1; }
done
# Not in the root cgroup (tests/vm/drover-vm-run.sh put us in init.scope):
# drover must find its way as under systemd.
grep -qx '0::/init.scope' /proc/self/cgroup || { echo "not in /init.scope" >&2; exit 1; }

# The driver tests whose subject is the cgroup: limits, OOM, tree kill,
# stats, recovery. The rest of those programs gains nothing from v2.
RAW_EXEC='raw_exec/@(memory_*|cgroup_override*|allocation_past_the_limit*|stop_kills_a_grandchild*|damaged_handle*|handle_round_trip*|destroy_refuses*)'
# Each program within a deadline, and whatever it left running killed: a
# broken v2 path can leave an unlimited memory hog behind, which would stall
# the guest instead of failing the stage.
run() {
	echo "== $*"
	timeout -k 10 240 "$@" || { echo "FAILED ($?): $*"; fail=1; }
	sweep
}
sweep() {
	local d
	for d in $cg/drover.slice $cg/delegated/drover.slice; do
		[ -d "$d" ] && find "$d" -mindepth 1 -maxdepth 1 -type d -exec sh -c 'echo 1 > "$1/cgroup.kill"' _ {} \;
	done
	# Processes a broken start left in our own cgroup: all but the VM's init
	# and this shell.
	for p in $(cat $cg/init.scope/cgroup.procs $cg/delegated/agent/cgroup.procs 2>/dev/null); do
		[ "$p" != 1 ] && [ "$p" != $$ ] && kill -9 "$p" 2>/dev/null
	done
	return 0
}
leftovers() {
	local parent=$1
	if [ -d "$parent" ] && [ -n "$(find "$parent" -mindepth 1 -type d)" ]; then
		echo "FAILED: cgroups left under $parent:"; find "$parent" -mindepth 1 -type d
		fail=1
	fi
}

echo "== cgroup v2: $(cat $cg/cgroup.controllers), kernel $(uname -r)"
run tests/integration/test_rawexec_driver --filter "$RAW_EXEC"
run tests/integration/test_exec_driver
# exec's device allow list: on v2 a BPF device program on the task's cgroup.
run tests/security/test_sec_devices
# Whole commands: an exec job through `drover run`, and `drover gc` of a dead
# allocation; then nothing of drover may be left in the hierarchy.
run tests/integration/test_cli_exec
run tests/integration/test_cli_state --filter 'cli_state/gc_*'
leftovers $cg/drover.slice

# Delegated: a subtree with the controllers enabled for its children, this
# shell moved into a leaf of it (no process where controllers are enabled).
mkdir -p $cg/delegated/agent
echo $$ > $cg/delegated/agent/cgroup.procs
for c in memory cpu pids; do echo "+$c" > $cg/cgroup.subtree_control; done
for c in memory cpu pids; do echo "+$c" > $cg/delegated/cgroup.subtree_control; done
export DROVER_CGROUP_ROOT=$cg/delegated
run tests/integration/test_rawexec_driver --filter 'raw_exec/@(memory_*|allocation_past_the_limit*|stop_kills_a_grandchild*)'
leftovers $cg/delegated/drover.slice
unset DROVER_CGROUP_ROOT
[ $fail = 0 ] && echo "== cgroup v2 suite: all passed"
exit $fail
