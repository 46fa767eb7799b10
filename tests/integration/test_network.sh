#!/bin/sh
# Group networking end to end (issue 15): exec tasks in bridge and none
# mode through the real `drover run`, `drover agent` and `drover gc`, with
# Debian's CNI plugins (containernetworking-plugins) doing the work.
#
# Every case runs in its own network and mount namespaces (unshare --net
# --mount): the bridge, the veths, the iptables rules, /run/netns (a tmpfs)
# and the host-local leases (/var/lib/cni, a tmpfs) are the case's own and
# vanish with it; nothing touches the machine's network. Traffic goes only
# to 127.0.0.1 inside that namespace. portmap's DNAT of a connection to
# 127.0.0.1 needs net.ipv4.conf.all.route_localnet=1, set in the case's
# namespace only (Nomad documents the same for host ports on localhost).
#
# Exit codes follow the automake test protocol: 77 skip, 99 hard error.

. "$(dirname "$0")/network_lib.sh"

# ---------------------------------------------------------------- one case
if [ "$1" = "--case" ]; then
	case=$2
	work=$3
	n=$4 # the case's number: its bridge dn-<n>, its subnet 10.99.<n>.0/24
	bridge=dn$n
	subnet=10.99.$n.0/24
	net_case_namespace
	export DROVER_SHIM DROVER_EXEC_INIT
	mkdir -p "$work/cni"
	for p in "$cni"/*; do ln -s "$p" "$work/cni/"; done
	cat >"$work/agent.json" <<-EOF
	{"client": {"bridge_network_name": "$bridge", "bridge_network_subnet": "$subnet",
	  "cni_path": "$work/cni", "fingerprint_interval": "30s",
	  "chroot_env": {"/bin": "/bin", "/sbin": "/sbin", "/etc": "/etc", "/lib": "/lib",
	                 "/lib64": "/lib64", "/usr": "/usr"}},
	 "plugin": {"raw_exec": {"config": {"enabled": true}}}}
	EOF
	opts="-config $work/agent.json -plugin-dir $plugins -data-dir $work/data"

	# job FILE MODE COUNT DRIVER SCRIPT: a service job whose task runs SCRIPT
	# under /bin/sh, with one dynamic port "http" mapped to 8080.
	job() {
		cat >"$1" <<-EOF
		{"Job": {"ID": "net", "Name": "net", "Type": "$6",
		 "TaskGroups": [{"Name": "g", "Count": $3,
		  "RestartPolicy": {"Attempts": 0, "Mode": "fail"},
		  "Networks": [{"Mode": "$2", "DynamicPorts": [{"Label": "http", "Value": 0, "To": 8080}]}],
		  "Tasks": [{"Name": "t", "Driver": "$4",
		   "Resources": {"CPU": 100, "MemoryMB": 64},
		   "Config": {"command": "/bin/sh", "args": ["-c", "$5"]}}]}]}}
		EOF
	}
	# Each task serves its allocation id on 8080 inside its namespace and
	# says which host port maps to it.
	serve='echo $NOMAD_ALLOC_ID > /local/index.html; echo $NOMAD_HOST_PORT_http > /local/port.tmp; mv /local/port.tmp /local/port; exec busybox httpd -f -p 8080 -h /local'

	allocs() { sed -n 's/^==> Allocation "\([0-9a-f-]*\)" created.*/\1/p' "$work/run.out"; }
	port_of() { cat "$work/data/alloc/$1/t/local/port" 2>/dev/null; }
	answers() { [ "$(curl -sS -m 2 "http://127.0.0.1:$2/")" = "$1" ]; }
	address_of() {
		sed -n "s/.*  ${1%%-*}  .*Network namespace .* address \([0-9.]*\))\$/\1/p" \
			"$work/data/drover-run.log" "$work/agent.log" 2>/dev/null | tail -n 1
	}
	runner_pid() { sed -n 's/^drover: detached runner pid \([0-9]*\) .*/\1/p' "$work/data/drover-run.log" | tail -n 1; }
	gone() { ! kill -0 "$1" 2>/dev/null; }

	# Nothing of allocation $1 (address $2) is left: no namespace, no veth
	# on the bridge, no iptables rule naming its id or address, no lease.
	assert_clean() {
		[ -z "$(ip netns list)" ] || fail "ip netns still lists: $(ip netns list)"
		[ ! -e "/run/netns/$1" ] || fail "/run/netns/$1 is still there"
		[ -z "$(ip -o link show master "$bridge" 2>/dev/null)" ] ||
			fail "the bridge still has ports: $(ip -o link show master "$bridge")"
		rules=$(iptables-save 2>/dev/null)
		echo "$rules" | grep -q "$1" && fail "iptables rules still name $1: $(echo "$rules" | grep "$1")"
		[ -n "$2" ] && echo "$rules" | grep -q -- "$2/32" && fail "iptables rules still name $2: $(echo "$rules" | grep -- "$2/32")"
		echo "$rules" | grep -q -- "-A CNI-DN-" && fail "a portmap DNAT chain is left: $(echo "$rules" | grep -- '-A CNI-DN-')"
		if [ -d "/var/lib/cni/networks/$bridge" ]; then
			grep -rlq "$1" "/var/lib/cni/networks/$bridge" &&
				fail "host-local still holds a lease of $1: $(ls "/var/lib/cni/networks/$bridge")"
			[ -z "$2" ] || [ ! -e "/var/lib/cni/networks/$bridge/$2" ] ||
				fail "host-local still holds $2"
		fi
		[ -z "$(sqlite3 "$work/data/state.db" "SELECT alloc_id FROM alloc_networks WHERE alloc_id = '$1'" 2>/dev/null)" ] ||
			fail "the state store still records the network of $1"
	}

	# Stops allocation $1 and waits for its runner/agent to settle it.
	stop_alloc() {
		"$drover" stop $opts "$1" >/dev/null 2>&1 || fail "drover stop $1"
	}

	case $case in
	bridge_two_allocations_answer_on_mapped_ports)
		job "$work/job.json" bridge 2 exec "$serve" service
		"$drover" run -detach $opts "$work/job.json" >"$work/run.out" 2>&1 || fail "run: $(cat "$work/run.out")"
		set -- $(allocs)
		[ $# -eq 2 ] || fail "two allocations expected: $(cat "$work/run.out")"
		a1=$1 a2=$2
		for a in $a1 $a2; do
			wait_for $deadline port_of $a || fail "allocation $a never wrote its port"
			wait_for $deadline answers $a "$(port_of $a)" ||
				fail "allocation $a does not answer on 127.0.0.1:$(port_of $a)"
			ip netns list | grep -q "^$a" || fail "ip netns does not list $a: $(ip netns list)"
		done
		ip1=$(address_of $a1) ip2=$(address_of $a2)
		[ -n "$ip1" ] && [ -n "$ip2" ] && [ "$ip1" != "$ip2" ] || fail "addresses \"$ip1\" and \"$ip2\""
		# The namespace's own port is not the host's.
		curl -sS -m 2 http://127.0.0.1:8080/ >/dev/null 2>&1 && fail "127.0.0.1:8080 answers on the host"
		[ "$(ip -o link show master "$bridge" | wc -l)" -eq 2 ] || fail "two veths expected on $bridge"
		# Nomad's forwarding rule for the bridge, in the firewall plugin's
		# admin chain (shared by the bridge's allocations; it stays).
		[ "$(iptables -S NOMAD-ADMIN | grep -c -- "-A NOMAD-ADMIN -d $subnet -o $bridge -j ACCEPT")" -eq 1 ] ||
			fail "not one forwarding rule in NOMAD-ADMIN: $(iptables -S NOMAD-ADMIN)"
		iptables -S CNI-FORWARD | grep -q -- "-j NOMAD-ADMIN" || fail "CNI-FORWARD does not jump to NOMAD-ADMIN"
		# What assert_clean looks for is there while they run.
		iptables-save | grep -q -- "-d $ip1/32" || fail "no firewall rule names $ip1: $(iptables-save)"
		iptables-save | grep -q "$a1" || fail "no rule names $a1"
		[ -e "/var/lib/cni/networks/$bridge/$ip1" ] || fail "no lease of $ip1"
		pid=$(runner_pid)
		stop_alloc $a1
		stop_alloc $a2
		wait_for $deadline gone "$pid" || fail "the runner did not end after both stops"
		"$drover" gc $opts >"$work/gc.out" 2>&1 || fail "gc: $(cat "$work/gc.out")"
		assert_clean $a1 "$ip1"
		assert_clean $a2 "$ip2"
		;;
	agent_restart_keeps_namespace_and_port)
		job "$work/job.json" bridge 1 exec "$serve" service
		"$drover" run -detach $opts "$work/job.json" >"$work/run.out" 2>&1 || fail "run: $(cat "$work/run.out")"
		a=$(allocs)
		wait_for $deadline port_of $a || fail "allocation $a never wrote its port"
		port=$(port_of $a)
		wait_for $deadline answers $a $port || fail "no answer on 127.0.0.1:$port"
		inode=$(stat -L -c %i "/run/netns/$a")
		kill -9 "$(runner_pid)"
		"$drover" agent $opts >"$work/agent.log" 2>&1 &
		agent=$!
		wait_for $deadline grep -q "Adopted" "$work/agent.log" || fail "the agent adopted nothing"
		kill -9 $agent
		wait $agent 2>/dev/null
		"$drover" agent $opts >>"$work/agent.log" 2>&1 &
		agent=$!
		wait_for $deadline sh -c "[ \$(grep -c Adopted '$work/agent.log') -ge 2 ]" ||
			fail "the second agent adopted nothing"
		answers $a $port || fail "no answer on 127.0.0.1:$port after the agent restarts"
		[ "$(ip netns list | wc -l)" -eq 1 ] || fail "one namespace expected: $(ip netns list)"
		[ "$(stat -L -c %i "/run/netns/$a")" = "$inode" ] || fail "the namespace was made anew"
		ip=$(address_of $a)
		stop_alloc $a
		wait_for $deadline sh -c "! ip netns list | grep -q $a" ||
			fail "the agent did not take the namespace down after the stop"
		kill $agent
		wait $agent 2>/dev/null
		"$drover" gc $opts >"$work/gc.out" 2>&1 || fail "gc: $(cat "$work/gc.out")"
		assert_clean $a "$ip"
		;;
	crash_between_add_and_record_leaves_nothing)
		# portmap, the last plugin, kills the runner once its ADD is done:
		# the setup is done and not yet recorded ready.
		rm "$work/cni/portmap"
		cat >"$work/cni/portmap" <<-EOF
		#!/bin/sh
		out=\$($cni/portmap); rc=\$?
		if [ "\$CNI_COMMAND" = ADD ] && [ ! -e "$work/crashed" ]; then
			touch "$work/crashed"
			kill -9 \$PPID
			exit 1
		fi
		printf '%s' "\$out"
		exit \$rc
		EOF
		chmod +x "$work/cni/portmap"
		job "$work/job.json" bridge 1 exec "$serve" service
		"$drover" run -detach $opts "$work/job.json" >"$work/run.out" 2>&1
		[ -e "$work/crashed" ] || fail "the runner did not crash in portmap: $(cat "$work/run.out")"
		a=$(allocs)
		[ -n "$a" ] || fail "no allocation recorded: $(cat "$work/run.out")"
		first=$(sqlite3 "$work/data/state.db" "SELECT state FROM alloc_networks WHERE alloc_id = '$a'")
		[ "$first" = adding ] || fail "the crashed setup is recorded \"$first\", not \"adding\""
		crashed_ip=$(ls "/var/lib/cni/networks/$bridge" | grep '^10\.' | head -n 1)
		[ -n "$crashed_ip" ] || fail "the crashed setup holds no lease"
		# The next agent removes what the crash left, then sets the
		# allocation up anew and starts its task.
		"$drover" agent $opts >"$work/agent.log" 2>&1 &
		agent=$!
		wait_for $deadline port_of $a || fail "the agent did not start the task"
		wait_for $deadline answers $a "$(port_of $a)" || fail "no answer after the agent's setup"
		[ "$(ip netns list | wc -l)" -eq 1 ] || fail "one namespace expected: $(ip netns list)"
		[ "$(ip -o link show master "$bridge" | wc -l)" -eq 1 ] || fail "one veth expected on $bridge"
		[ ! -e "/var/lib/cni/networks/$bridge/$crashed_ip" ] || fail "the crashed lease $crashed_ip is left"
		iptables-save | grep -q -- "$crashed_ip/32" && fail "rules of the crashed setup ($crashed_ip) are left"
		ip=$(address_of $a)
		stop_alloc $a
		wait_for $deadline sh -c "! ip netns list | grep -q $a" || fail "no teardown after the stop"
		kill $agent
		wait $agent 2>/dev/null
		"$drover" gc $opts >"$work/gc.out" 2>&1 || fail "gc: $(cat "$work/gc.out")"
		assert_clean $a "$ip"
		assert_clean $a "$crashed_ip"
		;;
	failed_setup_leaves_nothing)
		# portmap, the last plugin, does its work and then fails: the
		# allocation is not created and every plugin's work is undone.
		rm "$work/cni/portmap"
		cat >"$work/cni/portmap" <<-EOF
		#!/bin/sh
		out=\$($cni/portmap); rc=\$?
		if [ "\$CNI_COMMAND" = ADD ]; then
			echo '{"cniVersion": "0.4.0", "code": 999, "msg": "refused by the test"}'
			exit 1
		fi
		printf '%s' "\$out"
		exit \$rc
		EOF
		chmod +x "$work/cni/portmap"
		job "$work/job.json" bridge 1 exec "$serve" service
		"$drover" run -detach $opts "$work/job.json" >"$work/run.out" 2>&1 && fail "run succeeded: $(cat "$work/run.out")"
		grep -q 'CNI plugin "portmap" ADD failed: refused by the test (code 999)' "$work/run.out" "$work/data/drover-run.log" ||
			fail "the plugin's error is not reported: $(cat "$work/run.out")"
		[ -z "$(ls "/var/lib/cni/networks/$bridge" 2>/dev/null | grep '^10\.')" ] ||
			fail "a lease is left: $(ls "/var/lib/cni/networks/$bridge")"
		iptables-save | grep -q -- "-d 10\.99\.$n\.[0-9]*/32" &&
			fail "firewall rules are left: $(iptables-save | grep "10\.99\.$n\.[0-9]*/32")"
		assert_clean none ""
		;;
	stop_without_owner_tears_down)
		# The runner is gone and no agent runs: `drover stop` itself gives
		# the namespace back once the task is stopped.
		job "$work/job.json" bridge 1 exec "$serve" service
		"$drover" run -detach $opts "$work/job.json" >"$work/run.out" 2>&1 || fail "run: $(cat "$work/run.out")"
		a=$(allocs)
		wait_for $deadline port_of $a || fail "allocation $a never wrote its port"
		wait_for $deadline answers $a "$(port_of $a)" || fail "no answer on the mapped port"
		ip=$(address_of $a)
		pid=$(runner_pid)
		kill -9 "$pid"
		wait_for $deadline gone "$pid" || fail "the runner survived SIGKILL"
		"$drover" stop $opts $a >"$work/stop.out" 2>&1 || fail "stop: $(cat "$work/stop.out")"
		assert_clean $a "$ip"
		;;
	raw_exec_refused_in_bridge_mode)
		job "$work/job.json" bridge 1 raw_exec "true" batch
		"$drover" validate $opts "$work/job.json" >"$work/out" 2>&1 && fail "validate accepted raw_exec in bridge mode"
		grep -q 'task "t": driver "raw_exec" cannot run a task in the group.s network namespace (network mode "bridge")' "$work/out" ||
			fail "validate's message: $(cat "$work/out")"
		"$drover" run $opts "$work/job.json" >"$work/out" 2>&1 && fail "run accepted raw_exec in bridge mode"
		grep -q 'driver "raw_exec" cannot run' "$work/out" || fail "run's message: $(cat "$work/out")"
		[ -z "$(ip netns list)" ] || fail "a namespace was made: $(ip netns list)"
		;;
	bridge_mode_task_sees_the_dns_block)
		cat >"$work/job.json" <<-EOF
		{"Job": {"ID": "dns", "Name": "dns", "Type": "batch",
		 "TaskGroups": [{"Name": "g", "RestartPolicy": {"Attempts": 0, "Mode": "fail"},
		  "Networks": [{"Mode": "bridge", "DNS": {"Servers": ["10.99.$n.1"],
		    "Searches": ["svc.test"], "Options": ["ndots:2"]}}],
		  "Tasks": [{"Name": "t", "Driver": "exec", "Resources": {"CPU": 100, "MemoryMB": 64},
		   "Config": {"command": "/bin/sh", "args": ["-c", "cat /etc/resolv.conf > /local/resolv; ip -o -4 addr show eth0 > /local/addr"]}}]}]}}
		EOF
		"$drover" run $opts "$work/job.json" >"$work/run.out" 2>&1 || fail "run: $(cat "$work/run.out")"
		a=$(sed -n 's/.*Network namespace \/run\/netns\/\([0-9a-f-]*\) set up.*/\1/p' "$work/run.out")
		[ -n "$a" ] || fail "no namespace was set up: $(cat "$work/run.out")"
		resolv=$(cat "$work/data/alloc/$a/t/local/resolv")
		[ "$resolv" = "$(printf 'search svc.test\nnameserver 10.99.%s.1\noptions ndots:2' "$n")" ] ||
			fail "the task's resolv.conf: $resolv"
		grep -q "inet 10\.99\.$n\." "$work/data/alloc/$a/t/local/addr" ||
			fail "eth0 has no address of $subnet: $(cat "$work/data/alloc/$a/t/local/addr")"
		assert_clean $a ""
		;;
	bridge_mode_task_sees_its_hosts_file)
		# The group's Hostname and the address CNI gave the allocation, in
		# the task's /etc/hosts (Nomad's generated hosts file), bound
		# read-only over the host's /etc of chroot_env.
		cat >"$work/job.json" <<-EOF
		{"Job": {"ID": "hosts", "Name": "hosts", "Type": "batch",
		 "TaskGroups": [{"Name": "g", "RestartPolicy": {"Attempts": 0, "Mode": "fail"},
		  "Networks": [{"Mode": "bridge", "Hostname": "hosts-test"}],
		  "Tasks": [{"Name": "t", "Driver": "exec", "Resources": {"CPU": 100, "MemoryMB": 64},
		   "Config": {"command": "/bin/sh", "args": ["-c", "cat /etc/hosts > /local/hosts; ip -o -4 addr show eth0 > /local/addr; uname -n > /local/name; getent hosts hosts-test > /local/resolved"]}}]}]}}
		EOF
		"$drover" run $opts "$work/job.json" >"$work/run.out" 2>&1 || fail "run: $(cat "$work/run.out")"
		a=$(sed -n 's/.*Network namespace \/run\/netns\/\([0-9a-f-]*\) set up.*/\1/p' "$work/run.out")
		[ -n "$a" ] || fail "no namespace was set up: $(cat "$work/run.out")"
		t="$work/data/alloc/$a/t/local"
		ip=$(sed -n 's/.* inet \([0-9.]*\)\/.*/\1/p' "$t/addr")
		case "$ip" in 10.99.$n.*) ;; *) fail "eth0 has no address of $subnet: $(cat "$t/addr")" ;; esac
		grep -qx "$ip hosts-test" "$t/hosts" || fail "no \"$ip hosts-test\" in the task's /etc/hosts: $(cat "$t/hosts")"
		grep -qx "127.0.0.1 localhost" "$t/hosts" || fail "no localhost in the task's /etc/hosts: $(cat "$t/hosts")"
		grep -qx "::1 ip6-localhost ip6-loopback" "$t/hosts" || fail "no IPv6 loopback names: $(cat "$t/hosts")"
		[ "$(cat "$t/name")" = hosts-test ] || fail "the task's host name: $(cat "$t/name")"
		[ "$(tr -s ' ' <"$t/resolved")" = "$ip hosts-test" ] || fail "getent in the task: $(cat "$t/resolved")"
		assert_clean $a ""
		;;
	none_mode_has_only_loopback)
		job "$work/job.json" none 1 exec 'cat /proc/net/dev > /local/dev; ip -o link > /local/links' batch
		"$drover" run $opts "$work/job.json" >"$work/run.out" 2>&1 || fail "run: $(cat "$work/run.out")"
		a=$(sed -n 's/.*Network namespace \/run\/netns\/\([0-9a-f-]*\) set up.*/\1/p' "$work/run.out")
		[ -n "$a" ] || fail "no namespace was set up: $(cat "$work/run.out")"
		links=$(cat "$work/data/alloc/$a/t/local/links")
		[ "$(echo "$links" | wc -l)" -eq 1 ] || fail "interfaces other than lo: $links"
		echo "$links" | grep -q '^1: lo: <LOOPBACK,UP' || fail "lo is not up: $links"
		[ "$(grep -c ':' "$work/data/alloc/$a/t/local/dev")" -eq 1 ] || fail "/proc/net/dev: $(cat "$work/data/alloc/$a/t/local/dev")"
		# The batch job ended: its namespace went with it.
		assert_clean $a ""
		;;
	*)
		fail "unknown case"
		;;
	esac
	exit 0
fi

# ------------------------------------------------------------------ driver
net_require unshare ip iptables-save busybox curl sqlite3
[ -x "$drover" ] || { echo "no drover at $drover" >&2; exit 99; }
net_driver_env

cases="${NETWORK_TEST_CASES:-bridge_two_allocations_answer_on_mapped_ports
agent_restart_keeps_namespace_and_port
crash_between_add_and_record_leaves_nothing
failed_setup_leaves_nothing
stop_without_owner_tears_down
raw_exec_refused_in_bridge_mode
bridge_mode_task_sees_the_dns_block
bridge_mode_task_sees_its_hosts_file
none_mode_has_only_loopback}"
net_run_cases /tmp/drover-net.XXXXXX
