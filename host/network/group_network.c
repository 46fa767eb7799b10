#include "config.h"

#include "group_network.h"

#include <string.h>

void drover_group_network_view(const drover_jobspec_group *group, const drover_alloc_net *net,
                               drover_network *out)
{
	const drover_group_network *n = &group->network;
	static const char *const empty[] = {NULL};

	*out = (drover_network){
		.struct_size = sizeof(drover_network),
		.mode = n->mode ? n->mode : "host",
		.hostname = n->hostname,
	};
	if (net) {
		out->netns_path = net->netns_path[0] ? net->netns_path : NULL;
		out->created_handle = net->handle;
		out->created_handle_len = net->handle_len;
		out->address = net->address[0] ? net->address : NULL;
	}
	/* A DNS block that lists nothing still gives the task a resolv.conf of
	 * the driver's (Nomad's GenerateDNSMount: a copy of the host's): the
	 * lists are then empty, not NULL. */
	if (n->has_dns) {
		out->dns_servers = n->dns_servers ? (const char *const *)n->dns_servers : empty;
		out->dns_searches = n->dns_searches ? (const char *const *)n->dns_searches : empty;
		out->dns_options = n->dns_options ? (const char *const *)n->dns_options : empty;
	}
}
