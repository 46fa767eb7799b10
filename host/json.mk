# host/json.mk
