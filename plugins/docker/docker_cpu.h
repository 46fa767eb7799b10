/* The CPU capacity of the host as Nomad fingerprints it, and the CFS quota
 * that caps a task at its share of it (cpu_hard_limit). */
#ifndef DROVER_DOCKER_CPU_H
#define DROVER_DOCKER_CPU_H

#define DOCKER_CFS_PERIOD_DEFAULT 100000LL
#define DOCKER_CFS_PERIOD_MAX 1000000LL
/* The daemon refuses a smaller CpuQuota (microseconds). */
#define DOCKER_CFS_QUOTA_MIN 1000LL

/* Online logical CPUs and their total MHz: cores x the per-core frequency
 * (cpufreq's cpuinfo_max_freq, else /proc/cpuinfo's "cpu MHz"), as Nomad's
 * cpu.totalcompute. -ENOENT when no frequency can be read. */
int docker_cpu_host(long long *total_mhz, int *ncores);

/* Nomad's quota: the task's MHz as a fraction of the host's, times the
 * period, times the number of cores; at least DOCKER_CFS_QUOTA_MIN. */
long long docker_cpu_quota(long long task_mhz, long long total_mhz, int ncores,
                           long long period_us);

#endif
