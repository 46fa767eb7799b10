#include "config.h"

#include "bridge_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../json.h"
#include "../util.h"
#include "portmap.h"

/* Written as text: every value in it was checked by network_config.c
 * (an interface name, a CIDR) and needs no escaping. The cniVersion is
 * Nomad's. */
static const char bridge_template[] =
	"{\"cniVersion\": \"0.4.0\", \"name\": \"%s\", \"plugins\": ["
	"{\"type\": \"loopback\"},"
	"{\"type\": \"bridge\", \"bridge\": \"%s\", \"ipMasq\": true, \"isGateway\": true,"
	" \"forceAddress\": true, \"hairpinMode\": false,"
	" \"ipam\": {\"type\": \"host-local\", \"ranges\": [[{\"subnet\": \"%s\"}]],"
	" \"routes\": [{\"dst\": \"0.0.0.0/0\"}]}},"
	"{\"type\": \"firewall\", \"backend\": \"iptables\", \"iptablesAdminChainName\": \"%s\"},"
	"{\"type\": \"portmap\", \"capabilities\": {\"portMappings\": true}, \"snat\": true}"
	"]}";

static const char none_template[] =
	"{\"cniVersion\": \"0.4.0\", \"name\": \"%s\", \"plugins\": [{\"type\": \"loopback\"}]}";

int drover_bridge_conflist(const drover_network_config *cfg, const char *mode, drover_value *out,
                           drover_err *err)
{
	_cleanup_(drover_freep) char *text =
		strcmp(mode, "none") == 0
			? drover_strdup_printf(none_template, cfg->bridge_name)
			: drover_strdup_printf(bridge_template, cfg->bridge_name, cfg->bridge_name,
			                       cfg->subnet, DROVER_CNI_ADMIN_CHAIN);
	if (!text)
		return drover_err_set(err, -ENOMEM, "out of memory");
	return drover_json_parse("bridge network configuration", text, strlen(text), out, err);
}

int drover_bridge_runtime_config(const drover_alloc_ports *ports, drover_value *out,
                                 drover_err *err)
{
	_cleanup_(drover_freep) char *array = drover_portmap_json(
		ports, ports && ports->count && ports->host_ip[0] ? ports->host_ip : NULL, err);
	if (!array)
		return -EINVAL;
	_cleanup_(drover_freep) char *text = drover_strdup_printf("{\"portMappings\": %s}", array);
	if (!text)
		return drover_err_set(err, -ENOMEM, "out of memory");
	return drover_json_parse("port mappings", text, strlen(text), out, err);
}
