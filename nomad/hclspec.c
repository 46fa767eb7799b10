#include "config.h"

#include "hclspec.h"

#include <stddef.h>

const char *nomad_hclspec_type(drover_field_type type)
{
	switch (type) {
	case DROVER_FIELD_STRING: return "string";
	case DROVER_FIELD_BOOL: return "bool";
	case DROVER_FIELD_INT: return "number";
	case DROVER_FIELD_FLOAT: return "number";
	case DROVER_FIELD_STRING_LIST: return "list(string)";
	case DROVER_FIELD_STRING_MAP: return "map(string)";
	case DROVER_FIELD_ANY: return "any";
	default: return NULL;
	}
}

static HS(Spec) *field_spec(const drover_field *f, nomad_arena *a)
{
	HS(Spec) *spec = PB_NEW(a, HS(Spec), HS_INIT(SPEC));
	if (!spec)
		return NULL;
	const char *type = nomad_hclspec_type(f->type);
	if (type) {
		HS(Attr) *attr = PB_NEW(a, HS(Attr), HS_INIT(ATTR));
		if (!attr)
			return NULL;
		attr->name = (char *)f->name;
		attr->type = (char *)type;
		attr->required = f->required != 0;
		spec->block_case = HS_CASE(ATTR);
		spec->attr = attr;
		if (!f->default_json)
			return spec;
		/* Default{primary: the attribute, default: the literal}: Nomad shows
		 * and applies the same default drover does. */
		HS(Spec) *lit_spec = PB_NEW(a, HS(Spec), HS_INIT(SPEC));
		HS(Literal) *lit = PB_NEW(a, HS(Literal), HS_INIT(LITERAL));
		HS(Default) *def = PB_NEW(a, HS(Default), HS_INIT(DEFAULT));
		HS(Spec) *outer = PB_NEW(a, HS(Spec), HS_INIT(SPEC));
		if (!lit_spec || !lit || !def || !outer)
			return NULL;
		lit->value = (char *)f->default_json;
		lit_spec->block_case = HS_CASE(LITERAL);
		lit_spec->literal = lit;
		def->primary = spec;
		def->default_ = lit_spec;
		outer->block_case = HS_CASE(DEFAULT);
		outer->default_ = def;
		return outer;
	}
	HS(Spec) *nested = nomad_hclspec_from_schema(f->fields, a);
	if (!nested)
		return NULL;
	if (f->type == DROVER_FIELD_BLOCK) {
		HS(Block) *b = PB_NEW(a, HS(Block), HS_INIT(BLOCK));
		if (!b)
			return NULL;
		b->name = (char *)f->name;
		b->required = f->required != 0;
		b->nested = nested;
		spec->block_case = HS_CASE(BLOCK_VALUE);
		spec->block_value = b;
	} else {
		HS(BlockList) *b = PB_NEW(a, HS(BlockList), HS_INIT(BLOCK_LIST));
		if (!b)
			return NULL;
		b->name = (char *)f->name;
		b->min_items = f->required ? 1 : 0;
		b->nested = nested;
		spec->block_case = HS_CASE(BLOCK_LIST);
		spec->block_list = b;
	}
	return spec;
}

HS(Spec) *nomad_hclspec_from_schema(const drover_field *fields, nomad_arena *a)
{
	size_t n = 0;
	while (fields && fields[n].name)
		n++;
	HS(Spec) *spec = PB_NEW(a, HS(Spec), HS_INIT(SPEC));
	HS(Object) *obj = PB_NEW(a, HS(Object), HS_INIT(OBJECT));
	HS(Object__AttributesEntry) **entries = NOMAD_NEWN(a, HS(Object__AttributesEntry) *, n);
	if (!spec || !obj || !entries)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		entries[i] = PB_NEW(a, HS(Object__AttributesEntry), HS_INIT(OBJECT__ATTRIBUTES_ENTRY));
		if (!entries[i])
			return NULL;
		entries[i]->key = (char *)fields[i].name;
		entries[i]->value = field_spec(&fields[i], a);
		if (!entries[i]->value)
			return NULL;
	}
	obj->n_attributes = n;
	obj->attributes = entries;
	spec->block_case = HS_CASE(OBJECT);
	spec->object = obj;
	return spec;
}
