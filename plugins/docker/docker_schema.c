/* The docker driver's schemas as data: every field listed here is applied (see
 * doc/drivers/docker.md); a Nomad field absent from these tables is refused by
 * the host as an unknown key, naming it, until drover implements it. */
#include <config.h>

#include <stddef.h>

#include "docker_schema.h"

static const drover_field auth_fields[] = {
	{ "username", DROVER_FIELD_STRING, 0, NULL, "registry user name", NULL },
	{ "password", DROVER_FIELD_STRING, 0, NULL, "registry password", NULL },
	{ "email", DROVER_FIELD_STRING, 0, NULL, "registry account email", NULL },
	{ "server_address", DROVER_FIELD_STRING, 0, NULL, "registry host, without scheme", NULL },
	DROVER_FIELD_END
};

static const drover_field logging_fields[] = {
	{ "type", DROVER_FIELD_STRING, 0, NULL, "docker logging driver (json-file by default)", NULL },
	{ "driver", DROVER_FIELD_STRING, 0, NULL, "same as type", NULL },
	{ "config", DROVER_FIELD_STRING_MAP, 0, NULL, "options of the logging driver", NULL },
	DROVER_FIELD_END
};

static const drover_field healthcheck_fields[] = {
	{ "disable", DROVER_FIELD_BOOL, 0, "false", "disable the image's HEALTHCHECK", NULL },
	DROVER_FIELD_END
};

static const drover_field bind_option_fields[] = {
	{ "propagation", DROVER_FIELD_STRING, 0, NULL, "bind propagation (rprivate, shared...)",
	  NULL },
	DROVER_FIELD_END
};

static const drover_field tmpfs_option_fields[] = {
	{ "size", DROVER_FIELD_INT, 0, NULL, "size in bytes", NULL },
	{ "mode", DROVER_FIELD_INT, 0, NULL, "file mode of the mount point", NULL },
	DROVER_FIELD_END
};

static const drover_field driver_config_fields[] = {
	{ "name", DROVER_FIELD_STRING, 0, NULL, "volume driver", NULL },
	{ "options", DROVER_FIELD_STRING_MAP, 0, NULL, "options of the volume driver", NULL },
	DROVER_FIELD_END
};

static const drover_field volume_option_fields[] = {
	{ "no_copy", DROVER_FIELD_BOOL, 0, "false", "do not copy the image's files into a new "
	  "volume", NULL },
	{ "labels", DROVER_FIELD_STRING_MAP, 0, NULL, "labels of a new volume", NULL },
	{ "driver_config", DROVER_FIELD_BLOCK, 0, NULL, "volume driver and its options",
	  driver_config_fields },
	DROVER_FIELD_END
};

static const drover_field mount_fields[] = {
	{ "type", DROVER_FIELD_STRING, 0, "\"volume\"", "bind, volume or tmpfs", NULL },
	{ "target", DROVER_FIELD_STRING, 1, NULL, "path in the container", NULL },
	{ "source", DROVER_FIELD_STRING, 0, NULL, "host path (bind) or volume name", NULL },
	{ "readonly", DROVER_FIELD_BOOL, 0, "false", "mount read-only", NULL },
	{ "bind_options", DROVER_FIELD_BLOCK, 0, NULL, "bind mount options", bind_option_fields },
	{ "tmpfs_options", DROVER_FIELD_BLOCK, 0, NULL, "tmpfs mount options", tmpfs_option_fields },
	{ "volume_options", DROVER_FIELD_BLOCK, 0, NULL, "volume mount options",
	  volume_option_fields },
	DROVER_FIELD_END
};

static const drover_field device_fields[] = {
	{ "host_path", DROVER_FIELD_STRING, 1, NULL, "device on the host", NULL },
	{ "container_path", DROVER_FIELD_STRING, 0, NULL, "path in the container (host_path)", NULL },
	{ "cgroup_permissions", DROVER_FIELD_STRING, 0, "\"rwm\"", "r, w and m", NULL },
	DROVER_FIELD_END
};

const drover_field docker_task_schema[] = {
	{ "image", DROVER_FIELD_STRING, 1, NULL, "the image to run", NULL },
	{ "image_pull_timeout", DROVER_FIELD_STRING, 0, NULL,
	  "how long a pull may take (plugin's image_pull_timeout)", NULL },
	{ "force_pull", DROVER_FIELD_BOOL, 0, "false", "pull even when the image is present", NULL },
	{ "load", DROVER_FIELD_STRING, 0, NULL, "image tarball under the task's local/ to load",
	  NULL },
	{ "auth", DROVER_FIELD_BLOCK, 0, NULL, "registry credentials", auth_fields },
	{ "auth_soft_fail", DROVER_FIELD_BOOL, 0, "false",
	  "a failed credential lookup or pull falls back to no credentials, then to the local "
	  "image", NULL },
	{ "command", DROVER_FIELD_STRING, 0, NULL, "command to run instead of the image's", NULL },
	{ "args", DROVER_FIELD_STRING_LIST, 0, NULL, "arguments", NULL },
	{ "entrypoint", DROVER_FIELD_STRING_LIST, 0, NULL, "replaces the image's entrypoint", NULL },
	{ "work_dir", DROVER_FIELD_STRING, 0, NULL, "working directory in the container", NULL },
	{ "labels", DROVER_FIELD_STRING_MAP, 0, NULL, "container labels", NULL },
	{ "hostname", DROVER_FIELD_STRING, 0, NULL, "container host name", NULL },
	{ "dns_servers", DROVER_FIELD_STRING_LIST, 0, NULL, "DNS servers", NULL },
	{ "dns_search_domains", DROVER_FIELD_STRING_LIST, 0, NULL, "DNS search domains", NULL },
	{ "dns_options", DROVER_FIELD_STRING_LIST, 0, NULL, "resolver options", NULL },
	{ "extra_hosts", DROVER_FIELD_STRING_LIST, 0, NULL, "\"host:IP\" lines for /etc/hosts",
	  NULL },
	{ "interactive", DROVER_FIELD_BOOL, 0, "false", "keep stdin open", NULL },
	{ "tty", DROVER_FIELD_BOOL, 0, "false", "allocate a pseudo-TTY", NULL },
	{ "init", DROVER_FIELD_BOOL, 0, "false", "run an init process as PID 1", NULL },
	{ "sysctl", DROVER_FIELD_STRING_MAP, 0, NULL, "namespaced sysctls", NULL },
	{ "ulimit", DROVER_FIELD_STRING_MAP, 0, NULL, "name = \"soft[:hard]\"", NULL },
	{ "privileged", DROVER_FIELD_BOOL, 0, "false", "privileged container (allow_privileged)",
	  NULL },
	{ "ipc_mode", DROVER_FIELD_STRING, 0, NULL, "IPC namespace mode", NULL },
	{ "pid_mode", DROVER_FIELD_STRING, 0, NULL, "PID namespace mode", NULL },
	{ "uts_mode", DROVER_FIELD_STRING, 0, NULL, "UTS namespace mode (host)", NULL },
	{ "userns_mode", DROVER_FIELD_STRING, 0, NULL, "user namespace mode (host)", NULL },
	{ "network_mode", DROVER_FIELD_STRING, 0, NULL, "bridge (default), host, none, ...", NULL },
	{ "network_aliases", DROVER_FIELD_STRING_LIST, 0, NULL,
	  "aliases in a user-defined network_mode", NULL },
	{ "ipv4_address", DROVER_FIELD_STRING, 0, NULL, "IPv4 address in a user-defined network_mode",
	  NULL },
	{ "ipv6_address", DROVER_FIELD_STRING, 0, NULL, "IPv6 address in a user-defined network_mode",
	  NULL },
	{ "ports", DROVER_FIELD_STRING_LIST, 0, NULL, "labels of the group's ports to publish", NULL },
	{ "port_map", DROVER_FIELD_ANY, 0, NULL, "port label = port in the container", NULL },
	{ "security_opt", DROVER_FIELD_STRING_LIST, 0, NULL, "--security-opt values", NULL },
	{ "shm_size", DROVER_FIELD_INT, 0, NULL, "size of /dev/shm in bytes", NULL },
	{ "readonly_rootfs", DROVER_FIELD_BOOL, 0, "false", "read-only root filesystem", NULL },
	{ "pids_limit", DROVER_FIELD_INT, 0, NULL, "process limit", NULL },
	{ "volumes", DROVER_FIELD_STRING_LIST, 0, NULL, "\"host_path:container_path[:ro]\"", NULL },
	{ "volume_driver", DROVER_FIELD_STRING, 0, NULL,
	  "driver of the named volumes in `volumes` (volumes.enabled)", NULL },
	{ "mount", DROVER_FIELD_BLOCK_LIST, 0, NULL, "bind, volume and tmpfs mounts", mount_fields },
	{ "mounts", DROVER_FIELD_BLOCK_LIST, 0, NULL, "older spelling of mount", mount_fields },
	{ "devices", DROVER_FIELD_BLOCK_LIST, 0, NULL, "host devices", device_fields },
	{ "cap_add", DROVER_FIELD_STRING_LIST, 0, NULL, "capabilities to add (allow_caps)", NULL },
	{ "cap_drop", DROVER_FIELD_STRING_LIST, 0, NULL, "capabilities to drop", NULL },
	{ "memory_hard_limit", DROVER_FIELD_INT, 0, NULL, "hard memory limit in MiB", NULL },
	{ "cpu_hard_limit", DROVER_FIELD_BOOL, 0, "false",
	  "cap the CPU at the task's share of the host (CFS quota)", NULL },
	{ "cpu_cfs_period", DROVER_FIELD_INT, 0, NULL, "CFS period in microseconds (100000)",
	  NULL },
	{ "cpuset_cpus", DROVER_FIELD_STRING, 0, NULL, "CPUs the task may run on (\"0-2,4\")",
	  NULL },
	{ "oom_score_adj", DROVER_FIELD_INT, 0, NULL, "OOM score adjustment", NULL },
	{ "logging", DROVER_FIELD_BLOCK, 0, NULL, "docker logging driver", logging_fields },
	{ "runtime", DROVER_FIELD_STRING, 0, NULL, "OCI runtime (allow_runtimes)", NULL },
	{ "group_add", DROVER_FIELD_STRING_LIST, 0, NULL, "extra groups", NULL },
	{ "storage_opt", DROVER_FIELD_STRING_MAP, 0, NULL, "storage driver options", NULL },
	{ "mac_address", DROVER_FIELD_STRING, 0, NULL, "MAC address", NULL },
	{ "healthchecks", DROVER_FIELD_BLOCK, 0, NULL, "image health checks", healthcheck_fields },
	DROVER_FIELD_END
};

static const drover_field tls_fields[] = {
	{ "cert", DROVER_FIELD_STRING, 0, NULL, "client certificate (.pem)", NULL },
	{ "key", DROVER_FIELD_STRING, 0, NULL, "client key (.pem)", NULL },
	{ "ca", DROVER_FIELD_STRING, 0, NULL, "CA of the daemon (.pem)", NULL },
	DROVER_FIELD_END
};

static const drover_field dangling_fields[] = {
	{ "enabled", DROVER_FIELD_BOOL, 0, "true", "remove containers no task owns", NULL },
	{ "dry_run", DROVER_FIELD_BOOL, 0, "false", "only log them", NULL },
	{ "period", DROVER_FIELD_STRING, 0, "\"5m\"", "how often to look", NULL },
	{ "creation_grace", DROVER_FIELD_STRING, 0, "\"5m\"",
	  "leave containers younger than this alone", NULL },
	DROVER_FIELD_END
};

static const drover_field gc_fields[] = {
	{ "container", DROVER_FIELD_BOOL, 0, "true", "remove a task's container on destroy", NULL },
	{ "image", DROVER_FIELD_BOOL, 0, "true", "remove an image after its last task", NULL },
	{ "image_delay", DROVER_FIELD_STRING, 0, "\"3m\"",
	  "how long an unused image is kept for a new task", NULL },
	{ "dangling_containers", DROVER_FIELD_BLOCK, 0, NULL,
	  "reaper of labelled containers no task owns", dangling_fields },
	DROVER_FIELD_END
};

static const drover_field volumes_fields[] = {
	{ "enabled", DROVER_FIELD_BOOL, 0, "false",
	  "allow host paths outside the allocation directory and volume mounts", NULL },
	{ "selinuxlabel", DROVER_FIELD_STRING, 0, NULL,
	  "SELinux relabelling of every bind (z: shared, Z: private)", NULL },
	DROVER_FIELD_END
};

/* No defaults here: Nomad's default (json-file, max-file 2, max-size 2m)
 * stands only for an absent block, which docker_settings_load supplies. */
static const drover_field plugin_logging_fields[] = {
	{ "type", DROVER_FIELD_STRING, 0, NULL, "logging driver (json-file by default)", NULL },
	{ "config", DROVER_FIELD_STRING_MAP, 0, NULL, "options of the logging driver", NULL },
	DROVER_FIELD_END
};

static const drover_field plugin_auth_fields[] = {
	{ "config", DROVER_FIELD_STRING, 0, NULL,
	  "docker config.json (auths, credHelpers, credsStore) for registry credentials", NULL },
	{ "helper", DROVER_FIELD_STRING, 0, NULL,
	  "credential helper: docker-credential-<helper> on $PATH", NULL },
	DROVER_FIELD_END
};

/* Nomad's default pause image, for the machine drover was built for. */
#if defined(__aarch64__)
#define INFRA_ARCH "arm64"
#elif defined(__arm__)
#define INFRA_ARCH "arm"
#elif defined(__i386__)
#define INFRA_ARCH "386"
#else
#define INFRA_ARCH "amd64"
#endif

const drover_field docker_plugin_schema[] = {
	{ "endpoint", DROVER_FIELD_STRING, 0, NULL,
	  "daemon address: unix:///path or tcp://host:port ($DOCKER_HOST, then "
	  "unix:///var/run/docker.sock)", NULL },
	{ "tls", DROVER_FIELD_BLOCK, 0, NULL, "TLS client for a tcp:// endpoint", tls_fields },
	{ "extra_labels", DROVER_FIELD_STRING_LIST, 0, NULL,
	  "job_name, job_id, task_group_name, ... (globs) as container labels", NULL },
	{ "gc", DROVER_FIELD_BLOCK, 0, NULL, "garbage collection", gc_fields },
	{ "volumes", DROVER_FIELD_BLOCK, 0, NULL, "host volumes", volumes_fields },
	{ "allow_privileged", DROVER_FIELD_BOOL, 0, "false",
	  "allow privileged and host pid/ipc/uts/userns modes", NULL },
	{ "allow_caps", DROVER_FIELD_STRING_LIST, 0,
	  "[\"audit_write\",\"chown\",\"dac_override\",\"fowner\",\"fsetid\",\"kill\",\"mknod\","
	  "\"net_bind_service\",\"setfcap\",\"setgid\",\"setpcap\",\"setuid\",\"sys_chroot\"]",
	  "capabilities tasks may have", NULL },
	{ "allow_runtimes", DROVER_FIELD_STRING_LIST, 0, "[\"runc\",\"nvidia\"]",
	  "OCI runtimes tasks may use", NULL },
	{ "pull_activity_timeout", DROVER_FIELD_STRING, 0, "\"2m\"",
	  "fail a pull silent for this long (minimum 1m)", NULL },
	{ "image_pull_timeout", DROVER_FIELD_STRING, 0, "\"5m\"", "fail a pull taking this long",
	  NULL },
	{ "pids_limit", DROVER_FIELD_INT, 0, "0", "ceiling of every task's pids_limit (0: none)",
	  NULL },
	{ "disable_log_collection", DROVER_FIELD_BOOL, 0, "false",
	  "leave the container's output with Docker: no alloc/logs files", NULL },
	{ "logging", DROVER_FIELD_BLOCK, 0, NULL,
	  "logging driver of tasks without their own (json-file, max-file 2, max-size 2m)",
	  plugin_logging_fields },
	{ "auth", DROVER_FIELD_BLOCK, 0, NULL, "registry credentials for every task",
	  plugin_auth_fields },
	{ "infra_image", DROVER_FIELD_STRING, 0, "\"registry.k8s.io/pause-" INFRA_ARCH ":3.3\"",
	  "pause container holding the namespace of a group in network mode bridge or none",
	  NULL },
	{ "infra_image_pull_timeout", DROVER_FIELD_STRING, 0, "\"5m\"",
	  "deadline of the infra_image pull", NULL },
	DROVER_FIELD_END
};
