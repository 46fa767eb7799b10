#include "config.h"

#include "admin_chain.h"

#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bridge_config.h"

/* Runs iptables with `args`; its exit status, or negative when it could
 * not run. Its output is not wanted: the callers look at the status only. */
static int iptables(const char *const *args)
{
	const char *argv[16] = {"iptables", "-w", "10"};
	size_t n = 3;
	for (size_t i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	static char *const envp[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	                             NULL};
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", 0, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 1, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", 1, 0);
	pid_t pid;
	int rc = posix_spawnp(&pid, "iptables", &fa, NULL, (char *const *)argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return -rc;
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -EINTR;
}

int drover_admin_chain_ensure(const drover_network_config *cfg, drover_err *err)
{
	/* -N fails when the chain exists (status 1): either way it is there. */
	const char *new_chain[] = {"-t", "filter", "-N", DROVER_CNI_ADMIN_CHAIN, NULL};
	int rc = iptables(new_chain);
	if (rc < 0)
		return drover_err_set(err, rc, "cannot run iptables: %s (install the Debian package "
		                      "iptables)", strerror(-rc));
	const char *check[] = {"-t", "filter", "-C", DROVER_CNI_ADMIN_CHAIN, "-o", cfg->bridge_name,
	                       "-d", cfg->subnet, "-j", "ACCEPT", NULL};
	if (iptables(check) == 0)
		return 0;
	const char *append[] = {"-t", "filter", "-A", DROVER_CNI_ADMIN_CHAIN, "-o", cfg->bridge_name,
	                        "-d", cfg->subnet, "-j", "ACCEPT", NULL};
	if ((rc = iptables(append)) != 0)
		return drover_err_set(err, rc < 0 ? rc : -EIO, "iptables could not add \"-A %s -o %s -d "
		                      "%s -j ACCEPT\" (status %d)", DROVER_CNI_ADMIN_CHAIN,
		                      cfg->bridge_name, cfg->subnet, rc);
	return 0;
}
