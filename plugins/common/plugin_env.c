/* denied_envvars filtering; see plugin_env.h. */
#include "plugin_env.h"

#include <stdlib.h>
#include <string.h>

int plugin_env_glob_match(const char *pattern, const char *name)
{
	const char *star_p = NULL, *star_n = NULL;

	/* Greedy match with backtracking to the last "*": linear in practice and
	 * never recursive, whatever the pattern. */
	while (*name) {
		if (*pattern == '*') {
			star_p = ++pattern;
			star_n = name;
		} else if (*pattern && *pattern == *name) {
			pattern++;
			name++;
		} else if (star_p) {
			pattern = star_p;
			name = ++star_n;
		} else {
			return 0;
		}
	}
	while (*pattern == '*')
		pattern++;
	return *pattern == '\0';
}

static int key_denied(const char *entry, const char *const *deny)
{
	const char *eq = strchr(entry, '=');
	size_t klen = eq ? (size_t)(eq - entry) : strlen(entry);
	char key[256];
	size_t i;

	if (!deny)
		return 0;
	if (klen >= sizeof(key)) {
		/* Longer than any pattern in practice; compare on a heap copy. */
		char *k = strndup(entry, klen);
		int hit = 0;
		if (!k)
			return 0;
		for (i = 0; deny[i] && !hit; i++)
			hit = plugin_env_glob_match(deny[i], k);
		free(k);
		return hit;
	}
	memcpy(key, entry, klen);
	key[klen] = '\0';
	for (i = 0; deny[i]; i++)
		if (plugin_env_glob_match(deny[i], key))
			return 1;
	return 0;
}

char **plugin_env_filter(const char *const *env, const char *const *deny_a,
                          const char *const *deny_b)
{
	size_t n = 0, i, k = 0;
	char **out;

	while (env && env[n])
		n++;
	out = calloc(n + 1, sizeof(*out));
	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		if (key_denied(env[i], deny_a) || key_denied(env[i], deny_b))
			continue;
		out[k] = strdup(env[i]);
		if (!out[k]) {
			plugin_env_free(out);
			return NULL;
		}
		k++;
	}
	return out;
}

static int same_key(const char *a, const char *b)
{
	size_t la = strcspn(a, "="), lb = strcspn(b, "=");
	return la == lb && memcmp(a, b, la) == 0;
}

const char **plugin_env_overlay(const char *const *base, const char *const *extra)
{
	size_t nb = 0, ne = 0, i, j, k = 0;
	const char **out;

	while (base && base[nb])
		nb++;
	while (extra && extra[ne])
		ne++;
	out = calloc(nb + ne + 1, sizeof(*out));
	if (!out)
		return NULL;
	for (i = 0; i < nb; i++) {
		int replaced = 0;
		for (j = 0; j < ne && !replaced; j++)
			replaced = same_key(base[i], extra[j]);
		if (!replaced)
			out[k++] = base[i];
	}
	for (j = 0; j < ne; j++)
		if (strchr(extra[j], '='))
			out[k++] = extra[j];
	return out;
}

void plugin_env_free(char **env)
{
	size_t i;

	if (!env)
		return;
	for (i = 0; env[i]; i++)
		free(env[i]);
	free(env);
}
