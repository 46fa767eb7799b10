/* The task environment as raw_exec hands it on: minus the variables that
 * denied_envvars (plugin option and task config) name. */
#ifndef PLUGIN_ENV_H
#define PLUGIN_ENV_H

/* Nomad's globs for denied_envvars: "*" matches any run of characters,
 * anywhere in the pattern ("AWS_*", "*_TOKEN", "*SECRET*"); every other
 * character matches itself. 1 when `name` matches. */
int plugin_env_glob_match(const char *pattern, const char *name);

/* A malloc()ed, NULL-ended copy of `env` ("KEY=VALUE" strings, strdup()ed)
 * without the entries whose KEY matches a pattern of deny_a or deny_b (either
 * may be NULL); NULL when out of memory. Free with plugin_env_free. */
char **plugin_env_filter(const char *const *env, const char *const *deny_a,
                          const char *const *deny_b);

/* `base` with `extra` ("KEY=VALUE") on top: an extra KEY replaces the base's.
 * Pointers into the arguments; free only the array. NULL when out of memory. */
const char **plugin_env_overlay(const char *const *base, const char *const *extra);

void plugin_env_free(char **env);

#endif
