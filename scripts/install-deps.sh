#!/bin/sh
# Installs what building and testing drover needs on Debian 12 (run as root).
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
	build-essential autoconf automake libtool pkg-config \
	libltdl-dev libcurl4-openssl-dev libyajl-dev libcgroup-dev libsqlite3-dev \
	libcriterion-dev libseccomp-dev libcap-dev crun \
	g++ binutils procps ca-certificates abigail-tools clang libclang-rt-14-dev \
	docker.io docker-registry busybox-static curl apache2-utils \
	qemu-system-x86 cpio
