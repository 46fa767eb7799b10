# tests/abi/freeze.mk
