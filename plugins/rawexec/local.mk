# plugins/rawexec/local.mk
