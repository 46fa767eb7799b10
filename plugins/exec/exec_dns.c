/* See exec_dns.h. */
#include "exec_dns.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_hosts.h"
#include "plugin_network.h"
#include "plugin_resolv.h"

/* Inserts the malloc()ed `arg` before the "--" of *argv; takes `arg`. */
static int insert_arg(char ***argv, char *arg)
{
	size_t n = 0, sep;
	char **v;

	if (!arg)
		return -ENOMEM;
	while ((*argv)[n])
		n++;
	for (sep = 0; sep < n && strcmp((*argv)[sep], "--") != 0; sep++)
		;
	v = realloc(*argv, (n + 2) * sizeof(*v));
	if (!v) {
		free(arg);
		return -ENOMEM;
	}
	memmove(v + sep + 1, v + sep, (n - sep + 1) * sizeof(*v));
	v[sep] = arg;
	*argv = v;
	return 0;
}

static char *arg_of(const char *opt, const char *value)
{
	char *s;
	return asprintf(&s, "%s=%s", opt, value) < 0 ? NULL : s;
}

int exec_dns_prepare(const drover_task_config *cfg, char ***run_argv, drover_err *err)
{
	const drover_network *net = plugin_network_of(cfg);
	char *path = NULL;
	int r;

	if (!net)
		return 0;
	if (plugin_resolv_wanted(cfg)) {
		if ((r = plugin_resolv_write(cfg, &path, err)) < 0)
			return r;
		r = insert_arg(run_argv, arg_of("--resolv-conf", path));
		free(path);
		if (r < 0)
			return drover_err_set(err, r, "out of memory");
	}
	if (!net->hostname || !net->hostname[0] || !net->mode || strcmp(net->mode, "host") == 0)
		return 0;
	/* The kernel's limit (HOST_NAME_MAX), stricter than a DNS name's. */
	if (strlen(net->hostname) > 64)
		return drover_err_set(err, -EINVAL,
		                      "network \"Hostname\" \"%.64s...\" is longer than the 64 "
		                      "characters a host name may have",
		                      net->hostname);
	if ((r = insert_arg(run_argv, arg_of("--hostname", net->hostname))) < 0)
		return drover_err_set(err, r, "out of memory");
	/* The allocation's address under that name, as Nomad's hosts file has
	 * it; no host name, no file (Nomad's rule): the task keeps its root's
	 * /etc/hosts. */
	if (!plugin_hosts_address(cfg))
		return 0;
	if ((r = plugin_hosts_write(cfg, net->hostname, NULL, NULL, &path, err)) < 0)
		return r;
	r = insert_arg(run_argv, arg_of("--hosts", path));
	free(path);
	if (r < 0)
		return drover_err_set(err, r, "out of memory");
	return 0;
}
