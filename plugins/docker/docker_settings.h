/* The docker plugin options (agent config plugin.docker.config), read once in
 * set_config from the validated tree into plain C. */
#ifndef DROVER_DOCKER_SETTINGS_H
#define DROVER_DOCKER_SETTINGS_H

#include <drover/driver.h>

typedef struct docker_settings {
	char *endpoint;
	char *tls_ca, *tls_cert, *tls_key;
	char **extra_labels;        /* NULL-ended globs over job_name, task_name, ... */
	int gc_container;           /* remove the container when the task is destroyed */
	int gc_image;               /* remove an image gc_image_delay_ms after its last user */
	long long gc_image_delay_ms;
	int dangling_enabled;       /* reap labelled containers no task of ours owns */
	int dangling_dry_run;       /* only log them */
	long long dangling_period_ms;
	long long dangling_grace_ms; /* younger containers may still be starting */
	int volumes_enabled;        /* host paths outside the alloc dir may be bound */
	int allow_privileged;       /* privileged and host pid/ipc/uts/userns modes */
	char **allow_caps;          /* lower case, without "cap_"; {"all"} allows any */
	char **allow_runtimes;
	long long pull_activity_timeout_ms;
	long long image_pull_timeout_ms;
	long long pids_limit;       /* 0: no ceiling */
	int disable_log_collection; /* no drover-docker-logger: logs stay with Docker */
	char *auth_config;          /* docker config.json: auths, credHelpers, credsStore */
	char *auth_helper;          /* docker-credential-<helper> on $PATH (basename part) */
	char *infra_image;          /* accepted for Nomad's group bridge mode, not used */
	long long infra_image_pull_timeout_ms;
	char *log_type;             /* logging.type: driver of tasks without `logging` */
	char **log_config;          /* logging.config: NULL-ended key, value, key, value... */
	char *selinux_label;        /* volumes.selinuxlabel ("z" or "Z"), NULL: none */
} docker_settings;

/* Fills `s` from `config` (validated, defaults applied); every bad value is an
 * error naming the option. `s` is untouched on failure. */
int docker_settings_load(docker_settings *s, const drover_value *config, drover_err *err);
void docker_settings_free(docker_settings *s);

/* A Go duration ("90s", "2m", "1h30m", "250ms") in milliseconds; -EINVAL when
 * malformed, negative or over a year. */
int docker_parse_duration_ms(const char *text, long long *ms);

/* A copy of a list of strings (NULL when `v` is absent); -EINVAL when an
 * item is not a string. */
int docker_strv_from_value(const drover_value *v, char ***out);
void docker_strv_free(char **v);

#endif
