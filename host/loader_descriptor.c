/* Checking a plugin's descriptor against this host's ABI before any plugin code
 * other than the entry function runs (DESIGN.md, "The plugin ABI" rules 1-3). */
#include "config.h"

#include "loader.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The frozen prefix: struct_size, abi_major, abi_minor. Nothing else of a
 * descriptor can be read before these are known. */
#define DESC_PREFIX_SIZE (offsetof(drover_driver, abi_minor) + sizeof(uint16_t))

/* The smallest descriptor this host can drive: the frozen prefix, name,
 * version, description, schemas and every required method of ABI 1.0, up to
 * `destroy`. The optional methods after it are treated as absent when they lie
 * beyond struct_size, exactly as for a plugin of an older minor
 * (DROVER_PLUGIN_HAS), so refusing such a plugin would protect nothing. */
#define DESC_MIN_SIZE (offsetof(drover_driver, destroy) + sizeof(void (*)(void)))

/* `name` for a message: quoted, at most 64 bytes, non-printable bytes escaped,
 * so that a garbage name cannot garble the user's terminal. */
static const char *quote_name(const char *name, char *buf, size_t size)
{
	size_t o = 0;
	buf[o++] = '"';
	for (size_t i = 0; name[i] && i < 64 && o + 6 < size; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
	}
	if (name[0] && strlen(name) > 64 && o + 5 < size) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

static int name_is_valid(const char *name)
{
	if (!name || !*name)
		return 0;
	for (const char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
			return 0;
	return 1;
}

int drover_loader_check_descriptor(const char *path, const drover_driver *desc, drover_err *err)
{
	if (!desc)
		return drover_err_set(err, -EINVAL,
		                      "%s: %s returned no descriptor (NULL), so its ABI is unknown; "
		                      "this host speaks ABI %d.%d: the plugin is broken, rebuild or remove it",
		                      path, DROVER_DRIVER_ENTRY_SYMBOL, DROVER_ABI_MAJOR, DROVER_ABI_MINOR);
	if (desc->struct_size == 0)
		return drover_err_set(err, -EINVAL,
		                      "%s: descriptor struct_size is 0 (plugin claims ABI %u.%u, this host "
		                      "speaks %d.%d): the plugin must set struct_size = sizeof(drover_driver); "
		                      "rebuild it against drover-sdk %d.x",
		                      path, desc->abi_major, desc->abi_minor, DROVER_ABI_MAJOR,
		                      DROVER_ABI_MINOR, DROVER_ABI_MAJOR);
	if (desc->struct_size < DESC_PREFIX_SIZE)
		return drover_err_set(err, -EINVAL,
		                      "%s: descriptor size %u is smaller than its %zu-byte frozen prefix, so "
		                      "its ABI is unknown; this host speaks %d.%d: rebuild the plugin against "
		                      "drover-sdk %d.x",
		                      path, desc->struct_size, (size_t)DESC_PREFIX_SIZE, DROVER_ABI_MAJOR,
		                      DROVER_ABI_MINOR, DROVER_ABI_MAJOR);
	if (desc->abi_major != DROVER_ABI_MAJOR)
		return drover_err_set(err, -EPROTO,
		                      "%s: built for ABI %u.%u, this host speaks %d.%d: rebuild the plugin "
		                      "against drover-sdk %d.x",
		                      path, desc->abi_major, desc->abi_minor, DROVER_ABI_MAJOR,
		                      DROVER_ABI_MINOR, DROVER_ABI_MAJOR);
	if (desc->abi_minor > DROVER_ABI_MINOR)
		return drover_err_set(err, -EPROTO,
		                      "%s: built for ABI %u.%u, newer than this host's %d.%d: upgrade drover",
		                      path, desc->abi_major, desc->abi_minor, DROVER_ABI_MAJOR,
		                      DROVER_ABI_MINOR);
	if (desc->struct_size < DESC_MIN_SIZE)
		return drover_err_set(err, -EINVAL,
		                      "%s: descriptor size %u is smaller than the %zu bytes every ABI %d.x "
		                      "descriptor has, so required methods are missing (plugin claims ABI "
		                      "%u.%u, this host speaks %d.%d): rebuild the plugin against drover-sdk %d.x",
		                      path, desc->struct_size, (size_t)DESC_MIN_SIZE, DROVER_ABI_MAJOR,
		                      desc->abi_major, desc->abi_minor, DROVER_ABI_MAJOR, DROVER_ABI_MINOR,
		                      DROVER_ABI_MAJOR);
	/* Within our minor a bigger descriptor than ours can only be a corrupt or
	 * mislabelled one: its extra methods would be unknown to its own SDK. */
	if (desc->struct_size > sizeof(drover_driver))
		return drover_err_set(err, -EINVAL,
		                      "%s: descriptor size %u larger than this host's %zu for ABI %u.%u "
		                      "(plugin claims ABI %u.%u, this host speaks %d.%d): the descriptor is "
		                      "inconsistent; rebuild the plugin against drover-sdk %d.x",
		                      path, desc->struct_size, sizeof(drover_driver), desc->abi_major,
		                      desc->abi_minor, desc->abi_major, desc->abi_minor, DROVER_ABI_MAJOR,
		                      DROVER_ABI_MINOR, DROVER_ABI_MAJOR);

	char quoted[300];
	if (!desc->name || !*desc->name)
		return drover_err_set(err, -EINVAL,
		                      "%s: the descriptor has %s driver name (plugin ABI %u.%u, this host "
		                      "speaks %d.%d): set `name` in the plugin's descriptor",
		                      path, desc->name ? "an empty" : "no (NULL)", desc->abi_major,
		                      desc->abi_minor, DROVER_ABI_MAJOR, DROVER_ABI_MINOR);
	if (!name_is_valid(desc->name))
		return drover_err_set(err, -EINVAL,
		                      "%s: driver name %s is not made of [a-z0-9_] only (plugin ABI %u.%u, "
		                      "this host speaks %d.%d): job files name drivers by it; fix the name "
		                      "in the plugin's descriptor",
		                      path, quote_name(desc->name, quoted, sizeof(quoted)), desc->abi_major,
		                      desc->abi_minor, DROVER_ABI_MAJOR, DROVER_ABI_MINOR);

	const struct {
		const char *name;
		int present;
	} required[] = {
		{"init", desc->init != NULL},
		{"fini", desc->fini != NULL},
		{"fingerprint", desc->fingerprint != NULL},
		{"start", desc->start != NULL},
		{"recover", desc->recover != NULL},
		{"wait_fd", desc->wait_fd != NULL},
		{"wait", desc->wait != NULL},
		{"stop", desc->stop != NULL},
		{"destroy", desc->destroy != NULL},
	};
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!required[i].present)
			return drover_err_set(err, -EINVAL,
			                      "%s: driver %s has no `%s` method, which every driver must "
			                      "provide (plugin ABI %u.%u, this host speaks %d.%d): the plugin "
			                      "is incomplete; fix its descriptor",
			                      path, quote_name(desc->name, quoted, sizeof(quoted)),
			                      required[i].name, desc->abi_major, desc->abi_minor,
			                      DROVER_ABI_MAJOR, DROVER_ABI_MINOR);
	return 0;
}
