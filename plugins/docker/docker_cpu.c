/* Host CPU capacity and the hard-limit quota (see docker_cpu.h). */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "docker_cpu.h"

/* kHz of cpu0's highest frequency, from cpufreq; 0 when absent (VMs). */
static long long sysfs_mhz(void)
{
	FILE *f = fopen("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq", "re");
	long long khz = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%lld", &khz) != 1)
		khz = 0;
	fclose(f);
	return khz > 0 ? khz / 1000 : 0;
}

/* The first "cpu MHz" of /proc/cpuinfo; 0 when absent. */
static long long cpuinfo_mhz(void)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[256];
	double mhz = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		if (strncmp(line, "cpu MHz", 7) == 0 && colon) {
			mhz = strtod(colon + 1, NULL);
			break;
		}
	}
	fclose(f);
	return mhz > 0 ? (long long)mhz : 0;
}

int docker_cpu_host(long long *total_mhz, int *ncores)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	long long mhz = sysfs_mhz();

	if (!mhz)
		mhz = cpuinfo_mhz();
	if (n <= 0 || mhz <= 0)
		return -ENOENT;
	*ncores = (int)n;
	*total_mhz = mhz * n;
	return 0;
}

long long docker_cpu_quota(long long task_mhz, long long total_mhz, int ncores,
                           long long period_us)
{
	double share = total_mhz > 0 ? (double)task_mhz / (double)total_mhz : 1.0;
	long long quota;

	if (share > 1.0)
		share = 1.0;
	quota = (long long)(share * (double)period_us) * ncores;
	return quota < DOCKER_CFS_QUOTA_MIN ? DOCKER_CFS_QUOTA_MIN : quota;
}
