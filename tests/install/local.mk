# tests/install/local.mk
