# host/local.mk
