# tests/abi/local.mk
