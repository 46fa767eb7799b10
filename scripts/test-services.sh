#!/bin/sh
# Starts and stops the services the docker tests need: a real dockerd (Debian's
# docker.io) on /var/run/docker.sock and a real registry (Debian's
# docker-registry) on 127.0.0.1:5000. Installs nothing (see install-deps.sh).
# Both subcommands are idempotent: `start` leaves running services alone, `stop`
# is quiet about services that are not running.
#
#   scripts/test-services.sh start|stop
set -eu

STATE_DIR=${DROVER_TEST_SERVICES_DIR:-/run/drover-test-services}
DOCKER_SOCK=/var/run/docker.sock
REGISTRY_ADDR=127.0.0.1:5000
DEADLINE_S=${DROVER_TEST_SERVICES_TIMEOUT:-60}

die() { echo "test-services: $*" >&2; exit 1; }

# pid in file $1 is alive
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Waits until command "$@" succeeds, or fails after DEADLINE_S seconds.
wait_for() {
	what=$1; shift
	end=$(( $(date +%s) + DEADLINE_S ))
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.2
	done
	echo "test-services: $what is up"
}

docker_ping() { curl -sf --max-time 2 --unix-socket "$DOCKER_SOCK" http://localhost/_ping; }
registry_ping() { curl -sf --max-time 2 "http://$REGISTRY_ADDR/v2/"; }

start_dockerd() {
	if docker_ping >/dev/null 2>&1; then
		echo "test-services: dockerd already answers on $DOCKER_SOCK"
		return 0
	fi
	command -v dockerd >/dev/null || die "dockerd not found: run scripts/install-deps.sh (Debian package docker.io)"
	# containerd comes with docker.io; dockerd starts its own when none runs.
	nohup dockerd --host "unix://$DOCKER_SOCK" --pidfile "$STATE_DIR/dockerd.pid" \
		>"$STATE_DIR/dockerd.log" 2>&1 &
	wait_for dockerd docker_ping || {
		tail -n 30 "$STATE_DIR/dockerd.log" >&2
		die "dockerd did not answer on $DOCKER_SOCK within ${DEADLINE_S}s (log: $STATE_DIR/dockerd.log)"
	}
}

start_registry() {
	if registry_ping >/dev/null 2>&1; then
		echo "test-services: registry already answers on $REGISTRY_ADDR"
		return 0
	fi
	command -v docker-registry >/dev/null || die "docker-registry not found: run scripts/install-deps.sh (Debian package docker-registry)"
	mkdir -p "$STATE_DIR/registry-data"
	cat >"$STATE_DIR/registry.yml" <<CONF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $STATE_DIR/registry-data
  delete:
    enabled: true
http:
  addr: $REGISTRY_ADDR
CONF
	nohup docker-registry serve "$STATE_DIR/registry.yml" >"$STATE_DIR/registry.log" 2>&1 &
	echo $! >"$STATE_DIR/registry.pid"
	wait_for registry registry_ping || {
		tail -n 30 "$STATE_DIR/registry.log" >&2
		die "the registry did not answer on $REGISTRY_ADDR within ${DEADLINE_S}s (log: $STATE_DIR/registry.log)"
	}
}

# Stops the process whose pid is in $1, waiting for it to go.
stop_pidfile() {
	if alive "$1"; then
		pid=$(cat "$1")
		kill "$pid"
		end=$(( $(date +%s) + DEADLINE_S ))
		while kill -0 "$pid" 2>/dev/null; do
			if [ "$(date +%s)" -ge "$end" ]; then kill -9 "$pid" 2>/dev/null || true; break; fi
			sleep 0.2
		done
	fi
	rm -f "$1"
}

case "${1:-}" in
start)
	mkdir -p "$STATE_DIR"
	start_dockerd
	start_registry
	;;
stop)
	# Only what this script started: a dockerd run by systemd is not ours.
	stop_pidfile "$STATE_DIR/registry.pid"
	stop_pidfile "$STATE_DIR/dockerd.pid"
	;;
*)
	echo "usage: $0 start|stop" >&2
	exit 2
	;;
esac
