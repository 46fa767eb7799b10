/* The group network block's own keys: Mode, Hostname and DNS.
 *
 * Every DNS entry ends up as a line of a task's /etc/resolv.conf, written by
 * root: an entry with a newline or a space would add lines or words of the
 * job's choosing, so servers must be IP addresses and searches and options
 * single printable words.
 */
#include "config.h"

#include "jobspec_util.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

/* resolv.conf(5): at most 3 nameservers are used, 6 search domains of 256
 * characters in all (glibc lifted the latter, Nomad does not check); drover
 * takes generous limits that still keep a job from writing megabytes. */
#define MAX_DNS_ENTRIES 32
#define MAX_DNS_WORD 253

void js_group_network_clear(drover_group_network *n)
{
	char **lists[] = {n->dns_servers, n->dns_searches, n->dns_options};
	for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
		for (size_t i = 0; lists[l] && lists[l][i]; i++)
			free(lists[l][i]);
		free(lists[l]);
	}
	free(n->mode);
	free(n->hostname);
	memset(n, 0, sizeof(*n));
}

static int is_ip_address(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];
	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static int is_word(const char *s)
{
	if (!s[0] || strlen(s) > MAX_DNS_WORD)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f || *s == '#' || *s == ';')
			return 0;
	return 1;
}

/* DNS.<key>: a list of strings, each passing `ok`, copied NULL-ended. */
static char **get_dns_list(js_ctx *c, const drover_value *dns, const char *key, const char *where,
                           const char *path, int (*ok)(const char *), const char *what)
{
	const drover_value *list = NULL;
	if (js_get_array(c, dns, key, where, path, &list) <= 0 || list->u.array.count == 0)
		return NULL;
	if (list->u.array.count > MAX_DNS_ENTRIES) {
		js_report(c, "%s: \"%s.%s\" has %zu entries; at most %d are accepted", where, path, key,
		          list->u.array.count, MAX_DNS_ENTRIES);
		return NULL;
	}
	char **out = calloc(list->u.array.count + 1, sizeof(*out));
	if (!out) {
		c->oom = c->failed = 1;
		return NULL;
	}
	size_t n = 0;
	for (size_t i = 0; i < list->u.array.count; i++) {
		const drover_value *item = &list->u.array.items[i];
		if (item->type != DROVER_VALUE_STRING) {
			js_report(c, "%s: \"%s.%s[%zu]\" must be a string, not %s", where, path, key, i,
			          drover_value_type_name(item->type));
			continue;
		}
		if (!ok(item->u.string.ptr)) {
			char *shown = js_display(c, item->u.string.ptr);
			js_report(c, "%s: \"%s.%s[%zu]\" \"%.200s\" is not %s", where, path, key, i,
			          shown ? shown : "", what);
			js_display_free(shown);
			continue;
		}
		out[n++] = js_strdup(c, item->u.string.ptr);
	}
	return out;
}

int drover_jobspec_hostname_ok(const char *s)
{
	size_t label = 0, len = strlen(s);
	if (len == 0 || len > 253)
		return 0;
	for (; *s; s++) {
		if (*s == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		           (*s >= '0' && *s <= '9') || (*s == '-' && label > 0)) {
			if (++label > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return label > 0;
}

void js_get_group_network(js_ctx *c, const drover_value *net, const char *where,
                          const char *path, drover_group_network *out)
{
	const char *mode = NULL, *hostname = NULL;
	if (js_get_string(c, net, "Mode", where, path, &mode) > 0 && mode[0]) {
		if (strcmp(mode, "host") == 0 || strcmp(mode, "bridge") == 0 ||
		    strcmp(mode, "none") == 0) {
			out->mode = js_strdup(c, mode);
		} else {
			char *shown = js_display(c, mode);
			js_report(c, "%s: \"%s.Mode\": \"%.64s\" is not supported: drover's group "
			          "networking modes are \"host\", \"bridge\" and \"none\" (custom CNI "
			          "networks, \"cni/<name>\", are not)",
			          where, path, shown ? shown : "");
			js_display_free(shown);
		}
	}
	if (js_get_string(c, net, "Hostname", where, path, &hostname) > 0 && hostname[0]) {
		if (drover_jobspec_hostname_ok(hostname)) {
			out->hostname = js_strdup(c, hostname);
		} else {
			char *shown = js_display(c, hostname);
			js_report(c, "%s: \"%s.Hostname\" \"%.200s\" is not a host name (letters, digits, "
			          "'-' and dots, labels of at most 63 characters)",
			          where, path, shown ? shown : "");
			js_display_free(shown);
		}
	}
	static const js_key dns_keys[] = {
		{"Servers", JS_USED}, {"Searches", JS_USED}, {"Options", JS_USED}, JS_KEYS_END,
	};
	const drover_value *dns = NULL;
	if (js_get_object(c, net, "DNS", where, path, &dns) <= 0)
		return;
	char *dns_path = js_printf(c, "%s.DNS", path);
	if (!dns_path)
		return;
	js_check_keys(c, dns, dns_keys, where, dns_path, dns_path);
	out->has_dns = 1;
	out->dns_servers = get_dns_list(c, dns, "Servers", where, dns_path, is_ip_address,
	                                "an IPv4 or IPv6 address");
	out->dns_searches = get_dns_list(c, dns, "Searches", where, dns_path, is_word,
	                                 "a domain (one word of printable characters)");
	out->dns_options = get_dns_list(c, dns, "Options", where, dns_path, is_word,
	                                "a resolver option (one word, \"ndots:2\", \"edns0\")");
	free(dns_path);
}
