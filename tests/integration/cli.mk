# tests/integration/cli.mk
