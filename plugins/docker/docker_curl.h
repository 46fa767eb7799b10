/* libcurl, opened on first use (docker_curl.c).
 *
 * Loading the docker driver used to load libcurl and everything it links
 * (OpenSSL, libssh2, nghttp2, LDAP, Kerberos, ...) into every drover process,
 * which cost every command about 100 ms and the idle agent several MiB even
 * when no docker task ever runs. The driver therefore does not link libcurl:
 * the Engine API client (docker_http.c) calls it through this table, which is
 * filled with dlopen the first time a request is made. */
#ifndef DROVER_DOCKER_CURL_H
#define DROVER_DOCKER_CURL_H

#include <curl/curl.h>

#include <drover/driver.h>

typedef struct docker_curl_api {
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
	CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
	CURLcode (*easy_perform)(CURL *curl);
	void (*easy_cleanup)(CURL *curl);
	const char *(*easy_strerror)(CURLcode code);
	CURLcode (*easy_recv)(CURL *curl, void *buf, size_t len, size_t *got);
	CURLcode (*easy_send)(CURL *curl, const void *buf, size_t len, size_t *sent);
	struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
	void (*slist_free_all)(struct curl_slist *list);
} docker_curl_api;

/* The table, loading libcurl (DOCKER_LIBCURL_SONAME) and running
 * curl_global_init the first time it is asked for; safe from any thread.
 * libcurl then stays loaded for the life of the process: unloading it (and
 * OpenSSL under it) is not safe. NULL, with err naming the library and the
 * dynamic loader's message, when libcurl cannot be loaded. */
const docker_curl_api *docker_curl(drover_err *err);

#endif
