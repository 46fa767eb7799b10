/* The figures and targets of issue 17 (in the order of its table), the
 * figures of issue 7 that already held and are kept measured, and the context
 * rows. To add a figure that is "not measured" today, write a program that
 * emits results for its id: nothing here changes but, perhaps, the wording. */
#include "figures.h"

#define NO_EXEC "bench_exec did not run (it needs root, cgroups and crun)"
#define NO_DOCKER "bench_docker did not run (it needs a dockerd: scripts/test-services.sh start)"
#define NO_AGENT "bench_agent did not run"
#define NO_NOMAD "bench_nomad measured nothing (configure built no Nomad bridge)"

#define ISSUE BENCH_SECTION_ISSUE
#define HELD BENCH_SECTION_HELD
#define CONTEXT BENCH_SECTION_CONTEXT

const bench_figure bench_figures[] = {
	/* Issue 17's table. */
	{"run_true", "whole `drover run` of a one-task raw_exec `/bin/true` job",
	 "posix_spawn + waitpid of `/bin/true`", BENCH_TARGET_RATIO_LE, 5, "<= 5x", NULL, ISSUE},
	{"plugins_cli", "whole `drover plugins`", NULL, BENCH_TARGET_VALUE_LT, 10, "< 10 ms", NULL,
	 ISSUE},
	{"plugins_load", "plugin directory load plus fingerprint of all three drivers", NULL,
	 BENCH_TARGET_VALUE_LT, 5, "< 5 ms", NULL, ISSUE},
	{"rawexec_start", "raw_exec start-to-running latency (`/bin/true`), driver level",
	 "posix_spawn of `/bin/true`", BENCH_TARGET_RATIO_LE, 2, "<= 2x at the median", NULL, ISSUE},
	{"host_idle_3plugins", "idle host with three plugins loaded (RSS)", NULL,
	 BENCH_TARGET_VALUE_LT, 8192, "< 8 MiB RSS", NO_AGENT, ISSUE},
	{"fleet_status", "`drover status -json` with 1000 running allocations", NULL,
	 BENCH_TARGET_VALUE_LT, 50, "< 50 ms", NULL, ISSUE},
	{"fleet_stop", "stopping 1000 tasks (SIGTERM to the detached runner)", NULL,
	 BENCH_TARGET_VALUE_LT, 2000, "< 2 s", NULL, ISSUE},
	{"fleet_start", "1000 raw_exec tasks from `run -detach` to all running", "1000 posix_spawns",
	 BENCH_TARGET_RATIO_LE, 2, "<= 2x", NULL, ISSUE},
	{"docker_lifecycle", "docker container lifecycle (create, start, wait, remove of `true`)",
	 "the same Engine API calls made directly", BENCH_TARGET_RATIO_LE, 1.05, "<= 1.05x",
	 NO_DOCKER, ISSUE},

	/* Issue 7's figures that held: kept measured, with their targets. */
	{"exec_start", "exec start-to-running latency", "`crun run` of an equivalent bundle",
	 BENCH_TARGET_RATIO_LE, 1, "<= 1x", NO_EXEC, HELD},
	{"exec_disk", "exec task directory growth on disk",
	 "copying the chroot_env directories, as Nomad does", BENCH_TARGET_VALUE_LE, 64,
	 "<= 64 KiB per task", NO_EXEC, HELD},
	{"shim_pss", "memory per raw_exec task (drover-shim PSS)", NULL, BENCH_TARGET_VALUE_LE, 256,
	 "<= 256 KiB PSS", NULL, HELD},
	{"idle_cpu", "CPU of host plus shims with 1000 sleeping raw_exec tasks, over 60 s", NULL,
	 BENCH_TARGET_VALUE_LT, 1, "< 1% of one core", NULL, HELD},
	{"agent_readopt",
	 "agent killed with 1000 tasks running, restarted: time until all are re-adopted", NULL,
	 BENCH_TARGET_VALUE_LT, 1000, "< 1 s", NO_AGENT, HELD},
	{"log_throughput", "one task writing to stdout as fast as it can, with rotation",
	 "`head -c N /dev/zero > file` throughput", BENCH_TARGET_RATIO_GE, 0.8,
	 ">= 0.8x, with shim CPU reported", NULL, HELD},

	/* Context. */
	{"status_table", "whole `drover status` (table) over the `drover run` allocations above",
	 "posix_spawn + waitpid of `/bin/true`", BENCH_TARGET_NONE, 0, "", NULL, CONTEXT},
	{"validate_cli", "whole `drover validate` of a one-task raw_exec job",
	 "posix_spawn + waitpid of `/bin/true`", BENCH_TARGET_NONE, 0, "", NULL, CONTEXT},
	{"logs_tail", "whole `drover logs -tail 10` of a task that wrote 1000 lines",
	 "posix_spawn + waitpid of `/bin/true`", BENCH_TARGET_NONE, 0, "", NULL, CONTEXT},
	{"fleet_dirs",
	 "the 1000 allocations' directory trees made with mkdir and creat alone, same file system",
	 NULL, BENCH_TARGET_NONE, 0, "", NULL, CONTEXT},
	{"rawexec_start_v2",
	 "raw_exec start-to-running latency on cgroup v2 (`/bin/true`, in the test VM: Debian's "
	 "kernel under qemu TCG; the task is created in its cgroup with clone3)",
	 "posix_spawn of `/bin/true` in the same VM", BENCH_TARGET_NONE, 0, "report the ratio",
	 "the cgroup v2 test VM could not run (tests/vm/drover-vm-run.sh: qemu and the kernel "
	 "package)", CONTEXT},
	{"rawexec_start_nocg", "raw_exec start-to-running latency, plugin option `no_cgroups`",
	 "posix_spawn of `/bin/true`", BENCH_TARGET_NONE, 0, "", NULL, CONTEXT},
	{"log_shim_cpu", "shim CPU while logging at full speed", NULL, BENCH_TARGET_NONE, 0, "",
	 NULL, CONTEXT},
	{"runner_rss", "runner RSS (detached `drover run`, raw_exec) with 1000 running tasks", NULL,
	 BENCH_TARGET_NONE, 0, "", NULL, CONTEXT},
	{"shim_pss_fleet", "drover-shim PSS with 1000 running tasks", NULL, BENCH_TARGET_NONE, 0, "",
	 NULL, CONTEXT},
	{"nomad_handshake", "drover-nomad-driver (raw_exec) launch to go-plugin handshake line",
	 "raw_exec.so loaded and initialised in a forked process", BENCH_TARGET_NONE, 0, "",
	 NO_NOMAD, CONTEXT},
	{"nomad_rss", "drover-nomad-driver (raw_exec) RSS after the handshake",
	 "RSS of a process with raw_exec.so loaded and initialised", BENCH_TARGET_NONE, 0, "",
	 NO_NOMAD, CONTEXT},
};

const size_t bench_figure_count = sizeof(bench_figures) / sizeof(bench_figures[0]);
