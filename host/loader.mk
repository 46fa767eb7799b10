# host/loader.mk
