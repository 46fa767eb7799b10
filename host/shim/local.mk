# host/shim/local.mk
