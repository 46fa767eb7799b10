/* See plugin_resolv.h. */
#include "plugin_resolv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin_network.h"
#include "plugin_state_file.h"

/* What is read of the host's resolv.conf: it is the operator's, but a
 * generated one can be long; the resolver itself reads only the start. */
#define HOST_RESOLV_MAX (64 * 1024)
#define MAX_WORDS 64
#define WORD_MAX 256

typedef struct words {
	char *v[MAX_WORDS];
	size_t n;
} words;

int plugin_resolv_wanted(const drover_task_config *cfg)
{
	const drover_network *net = plugin_network_of(cfg);
	return PLUGIN_NETWORK_HAS(net, dns_options) &&
	       (net->dns_servers || net->dns_searches || net->dns_options);
}

static size_t count(const char *const *l)
{
	size_t n = 0;
	while (l && l[n])
		n++;
	return n;
}

/* One word a resolver reads as one: no blank, no control character, no
 * comment character; so that no entry adds a line or a word of its own. */
static int is_word(const char *s)
{
	if (!s[0] || strlen(s) >= WORD_MAX)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f || *s == '#' || *s == ';')
			return 0;
	return 1;
}

static int is_ip(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];
	char copy[WORD_MAX], *zone;

	if (inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1)
		return 1;
	/* fe80::1%eth0, as a host's resolv.conf may hold. */
	if (strlen(s) >= sizeof(copy) || !(zone = strchr(strcpy(copy, s), '%')))
		return 0;
	*zone = '\0';
	return inet_pton(AF_INET6, copy, buf) == 1 && is_word(zone + 1);
}

static int check_list(const char *const *l, const char *field, int ip, drover_err *err)
{
	for (size_t i = 0; l && l[i]; i++)
		if (!is_word(l[i]) || (ip && !is_ip(l[i])))
			return drover_err_set(err, -EINVAL,
			                      "network DNS \"%s\"[%zu] \"%.64s\" is not %s", field, i,
			                      l[i], ip ? "an IP address" : "one word of printable "
			                                                  "characters");
	return 0;
}

static void words_free(words *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->v[i]);
	w->n = 0;
}

/* The words after the keyword on `line` (already stripped of its comment). */
static void words_of(char *rest, words *w, int ip_only)
{
	char *save = NULL, *tok;

	for (tok = strtok_r(rest, " \t", &save); tok && w->n < MAX_WORDS;
	     tok = strtok_r(NULL, " \t", &save)) {
		if (!is_word(tok) || (ip_only && !is_ip(tok)))
			continue;
		if ((w->v[w->n] = strdup(tok)) != NULL)
			w->n++;
		if (ip_only)
			break; /* one address per nameserver line */
	}
}

/* The host's nameservers (every nameserver line holding an IP address), its
 * search domains and its options (the last search / options line wins, as
 * in the resolver and in Docker's parser that Nomad uses). */
static char *read_host(const char *path)
{
	char *buf;
	ssize_t n;
	size_t len = 0;
	int fd = open(path ? path : "/etc/resolv.conf", O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	buf = malloc(HOST_RESOLV_MAX + 1);
	if (!buf) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while (fd >= 0 && len < HOST_RESOLV_MAX &&
	       (n = read(fd, buf + len, HOST_RESOLV_MAX - len)) > 0)
		len += (size_t)n;
	if (fd >= 0)
		close(fd);
	buf[len] = '\0';
	return buf;
}

static void parse_host(const char *text, words *servers, words *searches, words *options)
{
	char *copy = strdup(text), *line, *save = NULL;

	for (line = copy ? strtok_r(copy, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *c = strpbrk(line, "#;");
		size_t kl;
		if (c)
			*c = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		kl = strcspn(line, " \t");
		if (kl == 10 && strncmp(line, "nameserver", 10) == 0) {
			words_of(line + kl, servers, 1);
		} else if (kl == 6 && strncmp(line, "search", 6) == 0) {
			words_free(searches);
			words_of(line + kl, searches, 0);
		} else if (kl == 7 && strncmp(line, "options", 7) == 0) {
			words_free(options);
			words_of(line + kl, options, 0);
		}
	}
	free(copy);
}

typedef struct buf {
	char *s;
	size_t len, cap;
	int failed;
} buf;

static void put(buf *b, const char *s)
{
	size_t n = strlen(s);

	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *p = realloc(b->s, cap);
		if (!p) {
			b->failed = 1;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
}

/* `given` when it lists something, otherwise the host's `host` words. */
static void put_line(buf *b, const char *key, const char *const *given, const words *host)
{
	size_t n = given && given[0] ? count(given) : host->n;

	if (!n)
		return;
	put(b, key);
	for (size_t i = 0; i < n; i++) {
		put(b, " ");
		put(b, given && given[0] ? given[i] : host->v[i]);
	}
	put(b, "\n");
}

int plugin_resolv_render(const drover_network *net, const char *host_path, char **out,
                         drover_err *err)
{
	words servers = { { NULL }, 0 }, searches = { { NULL }, 0 }, options = { { NULL }, 0 };
	char *host;
	buf b = { NULL, 0, 0, 0 };
	int r;

	if ((r = check_list(net->dns_servers, "servers", 1, err)) < 0 ||
	    (r = check_list(net->dns_searches, "searches", 0, err)) < 0 ||
	    (r = check_list(net->dns_options, "options", 0, err)) < 0)
		return r;
	host = read_host(host_path);
	if (!host)
		return drover_err_set(err, -ENOMEM, "out of memory");
	/* Nothing listed: the host's file as it is (Nomad's copySystemDNS). */
	if (!count(net->dns_servers) && !count(net->dns_searches) && !count(net->dns_options)) {
		*out = host;
		return 0;
	}
	parse_host(host, &servers, &searches, &options);
	free(host);
	put_line(&b, "search", net->dns_searches, &searches);
	for (size_t i = 0; i < (count(net->dns_servers) ? count(net->dns_servers) : servers.n); i++) {
		put(&b, "nameserver ");
		put(&b, count(net->dns_servers) ? net->dns_servers[i] : servers.v[i]);
		put(&b, "\n");
	}
	put_line(&b, "options", net->dns_options, &options);
	put(&b, "");
	words_free(&servers);
	words_free(&searches);
	words_free(&options);
	if (b.failed) {
		free(b.s);
		return drover_err_set(err, -ENOMEM, "out of memory");
	}
	*out = b.s;
	return 0;
}

int plugin_resolv_write(const drover_task_config *cfg, char **path_out, drover_err *err)
{
	const drover_network *net = plugin_network_of(cfg);
	char *text = NULL;
	int r;

	if (!net)
		return drover_err_set(err, -EINVAL, "the task has no group network");
	if ((r = plugin_resolv_render(net, NULL, &text, err)) < 0)
		return r;
	r = plugin_state_file_write(cfg, PLUGIN_RESOLV_NAME, text, "the group network's DNS block",
	                            path_out, err);
	free(text);
	return r;
}
