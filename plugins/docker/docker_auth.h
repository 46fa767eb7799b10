/* Registry credentials of a pull, found as Nomad finds them: the task's own
 * `auth` block first, then the plugin's `auth.config` file (its `auths` entry
 * for the registry, then its `credHelpers` entry, then its `credsStore`), then
 * the plugin's `auth.helper`. The first source that yields credentials wins; a
 * source that fails (unreadable file, helper exiting non-zero) is an error,
 * which the task's auth_soft_fail turns into "no credentials".
 *
 * Secrets never reach an error message: only file names, registry hosts,
 * helper names and the helpers' own error output do. */
#ifndef DROVER_DOCKER_AUTH_H
#define DROVER_DOCKER_AUTH_H

#include <drover/driver.h>

#include "docker_settings.h"

typedef struct docker_auth {
	char *username, *password, *email, *server_address;
	char source[160]; /* where they came from, for events and logs ("auth.config \"/x\"") */
} docker_auth;

/* The registry host of an image reference as Docker names it: "docker.io" for
 * Docker Hub names ("redis", "library/redis", "user/app"), else the first path
 * component ("127.0.0.1:5000", "quay.io"). */
void docker_auth_registry(const char *image, char *host, size_t len);

/* Fills *out with the first credentials found for `image` (all fields NULL
 * when no source has any). `task_auth` is the task config's "auth" block or
 * NULL. Returns 0 or a negative errno with `err` naming the failing source. */
int docker_auth_resolve(const docker_settings *s, const drover_value *task_auth,
                        const char *image, docker_auth *out, drover_err *err);

/* The "X-Registry-Auth: <base64url JSON>" header line for *a (malloc'd), or
 * NULL in *header when *a holds no credentials. */
int docker_auth_header(const docker_auth *a, char **header);

/* Frees the fields, overwriting the secret first. */
void docker_auth_clear(docker_auth *a);

/* Runs docker-credential-<helper> get with `host` on its stdin (found on
 * $PATH), within timeout_ms; fills username/password from its {Username,
 * Secret} answer. A helper saying "credentials not found" leaves them NULL.
 * Exposed for the tests. */
int docker_auth_from_helper(const char *helper, const char *host, long long timeout_ms,
                            docker_auth *out, drover_err *err);

#endif
