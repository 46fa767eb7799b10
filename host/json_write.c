#include "config.h"

#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

static void print_to_file(void *ctx, const char *s, size_t len)
{
	FILE *f = ctx;
	fwrite(s, 1, len, f);
}

/* Shortest text that reads back to the same double, and never one that would
 * read back as an integer (1.0 stays "1.0"). */
static int format_double(double d, char *buf, size_t size)
{
	if (!isfinite(d))
		return -EINVAL;
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, size, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	if (!strpbrk(buf, ".eE"))
		strncat(buf, ".0", size - strlen(buf) - 1);
	return 0;
}

static int gen_value(yajl_gen g, const drover_value *v);

int drover_json_gen_value(struct yajl_gen_t *g, const drover_value *v)
{
	return gen_value(g, v);
}

static int gen_value(yajl_gen g, const drover_value *v)
{
	yajl_gen_status st = yajl_gen_status_ok;
	switch (v->type) {
	case DROVER_VALUE_NULL:
		st = yajl_gen_null(g);
		break;
	case DROVER_VALUE_BOOL:
		st = yajl_gen_bool(g, v->u.boolean);
		break;
	case DROVER_VALUE_INT:
		st = yajl_gen_integer(g, v->u.integer);
		break;
	case DROVER_VALUE_FLOAT: {
		char buf[64];
		if (format_double(v->u.number, buf, sizeof(buf)) < 0)
			return -EINVAL;
		st = yajl_gen_number(g, buf, strlen(buf));
		break;
	}
	case DROVER_VALUE_STRING:
		st = yajl_gen_string(g, (const unsigned char *)v->u.string.ptr, v->u.string.len);
		break;
	case DROVER_VALUE_ARRAY:
		/* written raw: yajl's beautifier would spread an empty [] over lines */
		if (v->u.array.count == 0) {
			st = yajl_gen_number(g, "[]", 2);
			break;
		}
		st = yajl_gen_array_open(g);
		for (size_t i = 0; st == yajl_gen_status_ok && i < v->u.array.count; i++)
			if (gen_value(g, &v->u.array.items[i]) < 0)
				return -EINVAL;
		if (st == yajl_gen_status_ok)
			st = yajl_gen_array_close(g);
		break;
	case DROVER_VALUE_OBJECT:
		if (v->u.object.count == 0) {
			st = yajl_gen_number(g, "{}", 2);
			break;
		}
		st = yajl_gen_map_open(g);
		for (size_t i = 0; st == yajl_gen_status_ok && i < v->u.object.count; i++) {
			const char *k = v->u.object.keys[i];
			st = yajl_gen_string(g, (const unsigned char *)k, strlen(k));
			if (st == yajl_gen_status_ok && gen_value(g, &v->u.object.values[i]) < 0)
				return -EINVAL;
		}
		if (st == yajl_gen_status_ok)
			st = yajl_gen_map_close(g);
		break;
	default:
		return -EINVAL;
	}
	return st == yajl_gen_status_ok ? 0 : -EINVAL;
}

int drover_json_write(FILE *f, const drover_value *v, int pretty)
{
	static const drover_value null_value = {.type = DROVER_VALUE_NULL};
	yajl_gen g = yajl_gen_alloc(NULL);
	if (!g)
		return -ENOMEM;
	yajl_gen_config(g, yajl_gen_print_callback, print_to_file, f);
	if (pretty) {
		yajl_gen_config(g, yajl_gen_beautify, 1);
		yajl_gen_config(g, yajl_gen_indent_string, "  ");
	}
	int rc = gen_value(g, v ? v : &null_value);
	yajl_gen_free(g);
	if (rc == 0 && (fflush(f) != 0 || ferror(f)))
		rc = -EIO;
	return rc;
}

char *drover_json_text(const drover_value *v, size_t *len_out)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	int rc = drover_json_write(f, v, 0);
	if (fclose(f) != 0 && rc == 0)
		rc = -ENOMEM;
	if (rc < 0) {
		free(text);
		return NULL;
	}
	if (len_out)
		*len_out = len;
	return text;
}
