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
	libgrpc-dev libprotobuf-c-dev protobuf-c-compiler libprotobuf-dev protobuf-compiler \
	golang-go golang-github-hashicorp-go-plugin-dev golang-google-grpc-dev \
	golang-google-protobuf-dev golang-github-hashicorp-go-hclog-dev golang-github-zclconf-go-cty-dev \
	qemu-system-x86 cpio \
	containernetworking-plugins iptables iproute2 musl-tools sqlite3
