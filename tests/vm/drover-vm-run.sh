#!/bin/bash
# Runs one command inside a throwaway qemu VM booted from Debian's generic
# kernel, whose cgroup2 mount holds every controller (this kind of host binds
# them all to v1). The guest's / is the host's / shared read-only over 9p with a
# tmpfs overlay on top (writes vanish with the VM), so the build tree and the
# host's own programs are at the same paths inside. A scratch directory is
# shared writable: the command's output and exit status come back through it.
#
#   drover-vm-run.sh [-t SECONDS] [-e VAR]... [-o DIR] -- COMMAND [ARG]...
#
# The command runs as root in the current directory, in the child cgroup
# /init.scope (as on a systemd host: the root cgroup holds no process of ours),
# with PATH, HOME, TMPDIR, DROVER_*, CRITERION_*, ASAN_OPTIONS, UBSAN_OPTIONS
# and each -e VAR of the caller's environment. Its output is printed after the
# VM exits, and its exit status is ours. With -o DIR, what the command wrote
# into $DROVER_VM_OUT (a directory of the scratch share) is copied to DIR.
#
# Exit 77 (skip) when qemu or the kernel package cannot be had; under
# DROVER_TEST_STRICT=1 that is a failure (1). 99: the VM did not report a
# status (crash, timeout). The kernel package (apt-get download, never
# installed) and the initramfs are cached in DROVER_VM_CACHE (default
# /var/cache/drover-test-vm when writable, else ~/.cache/drover-test-vm).
set -euo pipefail

timeout_s=900
extra_env=()
out_dir=
while [ $# -gt 0 ]; do
	case $1 in
	-t) timeout_s=$2; shift 2 ;;
	-e) extra_env+=("$2"); shift 2 ;;
	-o) out_dir=$2; shift 2 ;;
	--) shift; break ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || { echo "usage: $0 [-t SECONDS] [-e VAR]... [-o DIR] -- COMMAND [ARG]..." >&2; exit 2; }

# The modules the guest needs for the 9p root and the overlay, in load order:
# the unpacked package has no modules.dep and busybox's insmod resolves nothing.
MODULES="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci netfs
fscache 9pnet 9pnet_virtio 9p overlay"

skip() {
	if [ "${DROVER_TEST_STRICT:-}" = 1 ]; then
		echo "drover-vm-run: FAIL (DROVER_TEST_STRICT=1): $*" >&2
		exit 1
	fi
	echo "drover-vm-run: SKIP: $*" >&2
	exit 77
}

log() { echo "drover-vm-run: $*" >&2; }

qemu=$(command -v qemu-system-x86_64 || true)
[ -n "$qemu" ] || skip "qemu-system-x86_64 is not installed (Debian: qemu-system-x86)"
busybox=$(command -v busybox || true)
[ -n "$busybox" ] && "$busybox" --list | grep -x insmod >/dev/null ||
	skip "a busybox with insmod is needed for the initramfs (Debian: busybox-static)"
# The initramfs runs before any shared library is reachable.
if ldd "$busybox" >/dev/null 2>&1; then
	skip "$busybox is dynamically linked: install busybox-static"
fi
command -v cpio >/dev/null || skip "cpio is not installed"

if [ -n "${DROVER_VM_CACHE:-}" ]; then
	cache=$DROVER_VM_CACHE
elif mkdir -p /var/cache/drover-test-vm 2>/dev/null && [ -w /var/cache/drover-test-vm ]; then
	cache=/var/cache/drover-test-vm
else
	cache=${XDG_CACHE_HOME:-$HOME/.cache}/drover-test-vm
fi
mkdir -p "$cache"

# The kernel: the package the linux-image-amd64 metapackage points at now
# (DROVER_VM_KERNEL_PKG to choose), or the newest one already cached when apt
# cannot say (offline).
pkg=${DROVER_VM_KERNEL_PKG:-$(apt-cache depends linux-image-amd64 2>/dev/null |
	sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n1)}
if [ -z "$pkg" ]; then
	pkg=$(ls -1 "$cache" 2>/dev/null | grep '^linux-image-' | sort -V | tail -n1 || true)
fi
[ -n "$pkg" ] || skip "cannot tell which Debian kernel package to use (apt-cache depends linux-image-amd64)"
kdir=$cache/$pkg
if [ ! -f "$kdir/vmlinuz" ] || [ ! -f "$kdir/modules/overlay.ko" ]; then
	log "fetching $pkg (apt-get download; it is unpacked here, never installed)"
	work=$(mktemp -d "$cache/fetch.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	# apt's _apt user must be able to write where it downloads.
	chmod 755 "$work"
	(cd "$work" && apt-get download "$pkg" >/dev/null 2>&1) ||
		skip "apt-get download $pkg failed (no network or no Debian archive)"
	dpkg-deb -x "$work"/"$pkg"_*.deb "$work/x"
	mkdir -p "$work/k/modules"
	cp "$work"/x/boot/vmlinuz-* "$work/k/vmlinuz"
	for m in $MODULES; do
		f=$(find "$work/x/lib/modules" -name "$m.ko" | head -n1)
		[ -n "$f" ] || skip "$pkg has no module $m.ko"
		cp "$f" "$work/k/modules/"
	done
	rm -rf "$kdir" && mv "$work/k" "$kdir"
	rm -rf "$work"
	trap - EXIT
fi

# The initramfs: busybox, the modules and /init (below). Cached under a name
# that changes with the init script, the modules and busybox.
read -r -d '' INIT <<'EOF' || true
#!/bin/busybox sh
# drover test VM init: mount the host's / read-only with a tmpfs overlay, run
# the command from the scratch share, write its status there, power off.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules/order); do insmod /modules/$m.ko || echo "init: insmod $m failed"; done
mkdir -p /host /rw /newroot
mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=262144,cache=loose host /host || poweroff -f
mount -t tmpfs -o size=512m tmpfs /rw
mkdir -p /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/host,upperdir=/rw/upper,workdir=/rw/work /newroot || poweroff -f
mount -t proc proc /newroot/proc
mount -t sysfs sys /newroot/sys
mount -t devtmpfs dev /newroot/dev
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts devpts /newroot/dev/pts
mount -t tmpfs shm /newroot/dev/shm
mount -t cgroup2 cgroup2 /newroot/sys/fs/cgroup
mount -t tmpfs run /newroot/run
mkdir -p "/newroot$DROVER_VM_SCRATCH"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 scratch "/newroot$DROVER_VM_SCRATCH"
# As on a systemd host: our processes live in a child of the root cgroup.
mkdir /newroot/sys/fs/cgroup/init.scope
echo $$ > /newroot/sys/fs/cgroup/init.scope/cgroup.procs
chroot /newroot /bin/sh "$DROVER_VM_SCRATCH/cmd.sh" > "/newroot$DROVER_VM_SCRATCH/output.log" 2>&1
echo $? > "/newroot$DROVER_VM_SCRATCH/status"
sync
poweroff -f
EOF
key=$( { echo "$INIT"; echo "$MODULES"; cksum < "$busybox"; cksum "$kdir"/modules/*.ko; } |
	cksum | cut -d' ' -f1)
initrd=$kdir/initrd-$key.gz
if [ ! -f "$initrd" ]; then
	log "building the initramfs"
	ir=$(mktemp -d)
	mkdir -p "$ir/bin" "$ir/proc" "$ir/sys" "$ir/dev" "$ir/modules"
	cp "$busybox" "$ir/bin/busybox"
	printf '%s\n' "$INIT" > "$ir/init"
	chmod 755 "$ir/init"
	cp "$kdir"/modules/*.ko "$ir/modules/"
	echo $MODULES > "$ir/modules/order"
	(cd "$ir" && find . | cpio -o -H newc --quiet | gzip -1) > "$initrd.tmp"
	mv "$initrd.tmp" "$initrd"
	rm -rf "$ir"
fi

# The scratch share: must be a path the guest sees in the host tree too (its
# mountpoint exists in the lower layer) and hold no blank (kernel command line).
scratch=$(mktemp -d "${TMPDIR:-/tmp}/drover-vm.XXXXXX")
case $scratch in *[[:space:]]*) skip "scratch path \"$scratch\" holds a blank" ;; esac
trap 'rm -rf "$scratch"' EXIT
mkdir "$scratch/out"
{
	echo "cd $(printf '%q' "$PWD") || exit 98"
	for v in PATH HOME TMPDIR DROVER_TEST_STRICT ASAN_OPTIONS UBSAN_OPTIONS "${extra_env[@]}" \
		$(compgen -e | grep -E '^(DROVER_|CRITERION_)' || true); do
		[ -n "${!v+x}" ] && echo "export $v=$(printf '%q' "${!v}")"
	done
	echo "export DROVER_IN_TEST_VM=1 DROVER_VM_OUT=$scratch/out"
	printf 'exec'
	printf ' %q' "$@"
	echo
} > "$scratch/cmd.sh.tmp"
# printf %q quotes for bash: the guest's /bin/sh only hands over to it.
{ echo '#!/bin/bash'; cat "$scratch/cmd.sh.tmp"; } > "$scratch/cmd.bash"
echo "exec /bin/bash $scratch/cmd.bash" > "$scratch/cmd.sh"
rm -f "$scratch/cmd.sh.tmp"

log "booting $pkg under qemu (TCG) for: $*"
t0=$(date +%s)
set +e
timeout --kill-after=10 "$timeout_s" "$qemu" -accel tcg,thread=multi -cpu max -smp 2 -m 1024 \
	-nodefaults -no-user-config -display none -serial stdio -no-reboot \
	-kernel "$kdir/vmlinuz" -initrd "$initrd" \
	-append "console=ttyS0 quiet panic=-1 DROVER_VM_SCRATCH=$scratch" \
	-virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap \
	-virtfs "local,path=$scratch,mount_tag=scratch,security_model=none" \
	> "$scratch/console.log" 2>&1
qrc=$?
set -e
log "the VM ran $(( $(date +%s) - t0 )) s (qemu status $qrc)"
[ -f "$scratch/output.log" ] && cat "$scratch/output.log"
if [ -n "$out_dir" ]; then
	mkdir -p "$out_dir" && cp -r "$scratch/out/." "$out_dir/"
fi
if [ ! -s "$scratch/status" ]; then
	echo "drover-vm-run: the VM reported no exit status (qemu status $qrc); its console:" >&2
	tail -n 50 "$scratch/console.log" >&2
	exit 99
fi
exit "$(cat "$scratch/status")"
