#!/bin/sh
# Group networking with a docker task (issue 15): "a docker and an exec task of
# one group reach each other on localhost", an agent restart keeping the
# namespace and the mapped port, and a none-mode docker task with only lo,
# through the real `drover run`, `agent`, `stop` and `gc`, the real dockerd
# and Debian's CNI plugins.
#
# The group is in bridge mode: the docker driver's pause container (the
# infra_image, the tests' own static pause program imported as an image)
# holds the namespace, the host bind-mounts it and runs CNI in it, the exec
# task enters it and the docker task joins the pause container. Each serves a
# page on its own port and fetches the other's from 127.0.0.1; the docker
# task's port is also mapped from the host by portmap (docker publishes
# nothing), its resolv.conf is the group's DNS block and its /etc/hosts
# drover's, with its extra_hosts.
#
# As tests/integration/test_network.sh, each case runs in its own network and
# mount namespaces (unshare --net --mount): the bridge, the veths, the
# iptables rules, /run/netns and the CNI leases are its own and vanish with
# it. dockerd stays outside: the pause container's namespace is made by it
# and reached through /proc/<pid>/ns/net. Traffic goes only to 127.0.0.1.
#
# Exit codes follow the automake test protocol: 77 skip, 99 hard error.

. "$(dirname "$0")/network_lib.sh"
pause=${DROVER_TEST_PAUSE:-$(pwd)/tests/fixtures/pause/drover-test-pause}

# ---------------------------------------------------------------- the case
if [ "$1" = "--case" ]; then
	case=$2
	work=$3
	n=$4 # its bridge dd<n>, its subnet 10.98.<n>.0/24
	box=$5
	infra=$6
	bridge=dd$n
	net_case_namespace
	cat >"$work/agent.json" <<-EOF
	{"client": {"bridge_network_name": "$bridge", "bridge_network_subnet": "10.98.$n.0/24",
	  "cni_path": "$cni", "fingerprint_interval": "30s",
	  "chroot_env": {"/bin": "/bin", "/sbin": "/sbin", "/etc": "/etc", "/lib": "/lib",
	                 "/lib64": "/lib64", "/usr": "/usr"}},
	 "plugin": {"docker": {"config": {"infra_image": "$infra"}}}}
	EOF
	opts="-config $work/agent.json -plugin-dir $plugins -data-dir $work/data"

	# fetch PORT WORD FILE: until 127.0.0.1:PORT serves WORD, then write FILE.
	fetch() {
		printf '%s\n' "for i in \$(seq 1 600); do if printf 'GET / HTTP/1.0\\\\r\\\\n\\\\r\\\\n' | $4 nc 127.0.0.1 $1 | grep -q $2; then echo reached > $3; break; fi; sleep 0.1; done"
	}
	# The docker task serves on every address of the namespace (the mapped
	# host port reaches it too) and writes which host port that is.
	web="cat /etc/resolv.conf > /local/resolv.conf && cat /etc/hosts > /local/hosts && mkdir -p /tmp/w && echo from-docker > /tmp/w/index.html && httpd -p 8080 -h /tmp/w && echo \$NOMAD_HOST_PORT_http > /local/port && $(fetch 8081 from-exec /local/reached '') && exec sleep 600"
	# The exec task serves on 127.0.0.1 only.
	probe="cat /etc/hosts > /local/hosts && mkdir -p /tmp/p && echo from-exec > /tmp/p/index.html && busybox httpd -p 127.0.0.1:8081 -h /tmp/p && $(fetch 8080 from-docker /local/reached busybox) && exec sleep 600"
	cat >"$work/job.json" <<-EOF
	{"Job": {"ID": "dn", "Name": "dn", "Type": "service",
	 "TaskGroups": [{"Name": "g", "Count": 1,
	  "RestartPolicy": {"Attempts": 0, "Mode": "fail"},
	  "Networks": [{"Mode": "bridge", "DynamicPorts": [{"Label": "http", "Value": 0, "To": 8080}],
	   "DNS": {"Servers": ["192.0.2.53"], "Searches": ["group.test"], "Options": ["ndots:3"]}}],
	  "Tasks": [
	   {"Name": "web", "Driver": "docker", "Resources": {"CPU": 100, "MemoryMB": 64},
	    "Config": {"image": "$box", "command": "/bin/sh", "args": ["-c", "$web"], "ports": ["http"],
	               "extra_hosts": ["db.test:192.0.2.10"]}},
	   {"Name": "probe", "Driver": "exec", "Resources": {"CPU": 100, "MemoryMB": 64},
	    "Config": {"command": "/bin/sh", "args": ["-c", "$probe"]}}]}]}}
	EOF

	runner_pid() { sed -n 's/^drover: detached runner pid \([0-9]*\) .*/\1/p' "$work/data/drover-run.log" | tail -n 1; }
	gone() { ! kill -0 "$1" 2>/dev/null; }
	answers() { [ "$(curl -sS -m 2 "http://127.0.0.1:$1/")" = from-docker ]; }
	containers() { docker ps -aq --filter "label=com.hashicorp.nomad.alloc_id=$1"; }

	if [ "$case" = none_mode_docker_task_has_only_loopback ]; then
		cat >"$work/job.json" <<-EOF
		{"Job": {"ID": "dn", "Name": "dn", "Type": "batch",
		 "TaskGroups": [{"Name": "g", "Count": 1,
		  "RestartPolicy": {"Attempts": 0, "Mode": "fail"},
		  "Networks": [{"Mode": "none", "Hostname": "nonehost"}],
		  "Tasks": [{"Name": "web", "Driver": "docker", "Resources": {"CPU": 100, "MemoryMB": 64},
		    "Config": {"image": "$box", "command": "/bin/sh", "args": ["-c", "cat /proc/net/dev > /local/dev; hostname > /local/host"]}}]}]}}
		EOF
		"$drover" run $opts "$work/job.json" >"$work/run.out" 2>&1 || fail "run: $(cat "$work/run.out")"
		a=$(sed -n 's/.*Network namespace \/run\/netns\/\([0-9a-f-]*\) set up.*/\1/p' "$work/run.out")
		[ -n "$a" ] || fail "no namespace was set up: $(cat "$work/run.out")"
		echo "$a" >"$work/alloc"
		dev=$(cat "$work/data/alloc/$a/web/local/dev")
		[ "$(echo "$dev" | grep -c ':')" -eq 1 ] && echo "$dev" | grep -q '^ *lo:' ||
			fail "interfaces other than lo in the docker task: $dev"
		# The pause container's hostname: the task was in its namespace.
		[ "$(cat "$work/data/alloc/$a/web/local/host")" = nonehost ] ||
			fail "the docker task's hostname is not the group's: $(cat "$work/data/alloc/$a/web/local/host")"
		# The batch job ended: its namespace and pause container went with it.
		[ -z "$(ip netns list)" ] || fail "ip netns still lists: $(ip netns list)"
		docker inspect "nomad_init_$a" >/dev/null 2>&1 && fail "the pause container nomad_init_$a is left"
		"$drover" gc $opts >"$work/gc.out" 2>&1 || fail "gc: $(cat "$work/gc.out")"
		[ -z "$(containers "$a")" ] || fail "containers of $a are left after gc"
		exit 0
	fi

	"$drover" run -detach $opts "$work/job.json" >"$work/run.out" 2>&1 || fail "run: $(cat "$work/run.out")"
	a=$(sed -n 's/^==> Allocation "\([0-9a-f-]*\)" created.*/\1/p' "$work/run.out")
	[ -n "$a" ] || fail "no allocation: $(cat "$work/run.out")"
	echo "$a" >"$work/alloc" # for the driver's cleanup, should the case fail
	d="$work/data/alloc/$a"
	wait_for $deadline test -e "$d/probe/local/reached" ||
		fail "the exec task did not reach the docker task on 127.0.0.1:8080"
	wait_for $deadline test -e "$d/web/local/reached" ||
		fail "the docker task did not reach the exec task on 127.0.0.1:8081"
	# One namespace, the pause container's, and the docker task in it.
	[ "$(ip netns list | wc -l)" -eq 1 ] || fail "one namespace expected: $(ip netns list)"
	pause_id=$(docker inspect -f '{{.Id}}' "nomad_init_$a") || fail "no pause container nomad_init_$a"
	[ "$(docker inspect -f '{{.HostConfig.NetworkMode}}' "web-$a")" = "container:$pause_id" ] ||
		fail "the docker task is not in the pause container's namespace"
	[ "$(stat -L -c %i "/run/netns/$a")" = "$(stat -L -c %i "/proc/$(docker inspect -f '{{.State.Pid}}' "nomad_init_$a")/ns/net")" ] ||
		fail "/run/netns/$a is not the pause container's namespace"
	# Mapped by CNI's portmap, not published by docker.
	port=$(cat "$d/web/local/port")
	[ -n "$port" ] || fail "the docker task wrote no host port"
	wait_for $deadline answers "$port" || fail "the host's 127.0.0.1:$port does not reach the docker task"
	[ -z "$(docker port "web-$a")" ] || fail "docker published ports: $(docker port "web-$a")"
	# The group's DNS block, though the container shares the pause
	# container's network (whose resolv.conf Docker would give it).
	[ "$(cat "$d/web/local/resolv.conf")" = "$(printf 'search group.test\nnameserver 192.0.2.53\noptions ndots:3')" ] ||
		fail "the docker task's resolv.conf: $(cat "$d/web/local/resolv.conf")"

	# Its /etc/hosts is drover's: the allocation's address under the pause
	# container's name (the group has no Hostname: Docker's short id), and
	# its extra_hosts, which Docker refuses beside "container:". The exec
	# task, without a Hostname, keeps the host's (Nomad writes none).
	address=$(sed -n 's/.*Network namespace .* address \([0-9.]*\))$/\1/p' "$work/data/drover-run.log" | tail -n 1)
	[ -n "$address" ] || fail "the run log tells no address"
	grep -qx "$address $(echo "$pause_id" | cut -c1-12)" "$d/web/local/hosts" ||
		fail "no \"$address <pause short id>\" in the docker task's /etc/hosts: $(cat "$d/web/local/hosts")"
	grep -qx "192.0.2.10 db.test" "$d/web/local/hosts" ||
		fail "extra_hosts is not in the docker task's /etc/hosts: $(cat "$d/web/local/hosts")"
	[ -z "$(docker inspect -f '{{.HostConfig.ExtraHosts}}' "web-$a" | tr -d '[]')" ] ||
		fail "extra_hosts went to docker: $(docker inspect -f '{{.HostConfig.ExtraHosts}}' "web-$a")"
	cmp -s "$d/probe/local/hosts" /etc/hosts || fail "the exec task's /etc/hosts is not the host's: $(cat "$d/probe/local/hosts")"

	inode=$(stat -L -c %i "/run/netns/$a")

	case $case in
	docker_and_exec_tasks_of_a_group_reach_each_other_on_localhost)
		pid=$(runner_pid)
		"$drover" stop $opts "$a" >/dev/null 2>&1 || fail "drover stop $a"
		wait_for $deadline gone "$pid" || fail "the runner did not end after the stop"
		;;
	agent_restart_keeps_the_pause_container_and_the_port)
		# The runner dies; an agent adopts the allocation: the namespace
		# and the pause container are recovered, not made anew.
		kill -9 "$(runner_pid)"
		"$drover" agent $opts >"$work/agent.log" 2>&1 &
		agent=$!
		wait_for $deadline grep -q "Adopted" "$work/agent.log" || fail "the agent adopted nothing: $(cat "$work/agent.log")"
		answers "$port" || fail "no answer on 127.0.0.1:$port after the agent adopted the allocation"
		[ "$(docker inspect -f '{{.Id}}' "nomad_init_$a")" = "$pause_id" ] ||
			fail "the pause container was made anew"
		[ "$(stat -L -c %i "/run/netns/$a")" = "$inode" ] || fail "the namespace was made anew"
		[ "$(docker inspect -f '{{.State.Running}}' "web-$a")" = true ] || fail "the docker task is not running"
		"$drover" stop $opts "$a" >/dev/null 2>&1 || fail "drover stop $a"
		wait_for $deadline sh -c "! ip netns list | grep -q $a" ||
			fail "the agent did not take the namespace down after the stop"
		kill $agent
		wait $agent 2>/dev/null
		;;
	*)
		fail "unknown case"
		;;
	esac
	"$drover" gc $opts >"$work/gc.out" 2>&1 || fail "gc: $(cat "$work/gc.out")"
	[ -z "$(containers "$a")" ] || fail "containers of $a are left: $(docker ps -a --filter "label=com.hashicorp.nomad.alloc_id=$a")"
	[ -z "$(ip netns list)" ] || fail "ip netns still lists: $(ip netns list)"
	[ -z "$(ip -o link show master "$bridge" 2>/dev/null)" ] ||
		fail "the bridge still has ports: $(ip -o link show master "$bridge")"
	exit 0
fi

# ------------------------------------------------------------------ driver
net_require unshare ip iptables-save busybox curl docker
docker version >/dev/null 2>&1 || missing "a dockerd answering on /var/run/docker.sock (scripts/test-services.sh start)"
[ -x "$drover" ] || { echo "no drover at $drover" >&2; exit 99; }
[ -x "$pause" ] || { echo "no pause fixture at $pause" >&2; exit 99; }
net_driver_env

# The run's images, imported locally (nothing comes from a registry).
tag=s$$
box=drover-test/netbox:$tag
infra=drover-test/pause:$tag
img=$(mktemp -d) || exit 99
mkdir -p "$img/box/bin" "$img/box/tmp" "$img/pause" &&
cp /bin/busybox "$img/box/bin/" &&
for a in sh sleep echo cat seq grep nc httpd mkdir hostname; do ln -s busybox "$img/box/bin/$a"; done &&
tar -C "$img/box" -cf "$img/box.tar" . &&
docker import "$img/box.tar" "$box" >/dev/null &&
cp "$pause" "$img/pause/pause" && tar -C "$img/pause" -cf "$img/pause.tar" pause &&
docker import --change 'ENTRYPOINT ["/pause"]' "$img/pause.tar" "$infra" >/dev/null ||
	{ rm -rf "$img"; echo "building the test images failed" >&2; exit 99; }
rm -rf "$img"

cases="${NETWORK_TEST_CASES:-docker_and_exec_tasks_of_a_group_reach_each_other_on_localhost
agent_restart_keeps_the_pause_container_and_the_port
none_mode_docker_task_has_only_loopback}"
# What a failed case left besides its processes: its containers (by their
# allocation label).
net_case_leftovers() {
	if [ -s "$1/alloc" ]; then
		left=$(docker ps -aq --filter "label=com.hashicorp.nomad.alloc_id=$(cat "$1/alloc")")
		[ -z "$left" ] || docker rm -f $left >/dev/null 2>&1
	fi
}

net_run_cases /tmp/drover-netd.XXXXXX "$box" "$infra"
status=$?
docker rmi -f "$box" "$infra" >/dev/null 2>&1
exit $status
