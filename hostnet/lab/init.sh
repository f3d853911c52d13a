#!/bin/bash
# hostnet/lab init: runs as PID 1 of a user-mode Linux kernel whose root is
# the host's / through hostfs, read-only. This file is a constant embedded in
# the Go package; everything run-specific is in files next to it that Go
# wrote (NUL-separated lists, two fstabs), so no caller data is ever parsed
# as shell. Every external command costs ~0.1 s here: keep them few.
#
# Phase 1 (no argument) builds a throwaway root: tmpfs on the run's own
# empty dir <run>/mnt, overlay over / with the upper layer on it, the usual
# kernel filesystems, the share mounted read-write; then chroots into it.
# Phase 2 ("inner") runs the job there and powers the kernel off, or, with
# Options.Booted, execs systemd, whose job unit runs phase 3 ("booted").
set -u
share=${0%/*}

fail() {
	echo "hostnet-lab: $*" >&2
	{ echo "$*" >"$share/error"; } 2>/dev/null # writable in phase 2 only
	echo o >/proc/sysrq-trigger 2>/dev/null || halt -f
	sleep 10
	exit 1
}

if [ "${1-}" = "" ]; then
	T=${share%/*}/mnt
	mount -a -T "$share/fstab.boot" || fail "mount tmpfs and modules"
	mkdir "$T/upper" "$T/work" "$T/root" || fail "mkdir in $T"
	mapfile -d '' mods <"$share/modules"
	modprobe -d "$T/m" -a overlay "${mods[@]}" || fail "modprobe overlay ${mods[*]}"
	mount -a -T "$share/fstab" || fail "mount the lab root"
	# /dev/fd, /dev/std*, /run/netns: devtmpfs and the fresh /run lack them.
	cp -R "$share/skel/." "$T/root/" || fail "populate /dev and /run"
	exec chroot "$T/root" /bin/bash /run/hostnet-lab/init.sh inner
	fail "chroot"
fi

L=/run/hostnet-lab

# job ARGVFILE runs the job's argv from ARGVFILE with the job's environment and
# directory, output appended to the share's stdout/stderr, and returns its status.
job() {
	mapfile -d '' envs <"$L/env"
	mapfile -d '' args <"$1"
	IFS= read -r -d '' dir <"$L/dir"
	(
		for v in $(compgen -e); do unset "$v"; done
		for kv in "${envs[@]}"; do export "$kv"; done
		cd -- "$dir" || { echo "cannot cd to $dir" >"$L/error"; exit 126; }
		exec "${args[@]}"
	) </dev/null >>"$L/stdout" 2>>"$L/stderr"
}

# Phase 3 ("booted"): systemd runs this as the lab's job unit once the boot is
# done; the job's status ends the run.
if [ "${1-}" = booted ]; then
	job "$L/argv.booted"
	echo $? >"$L/exit"
	echo o >/proc/sysrq-trigger
	sleep 10
	exit 1
fi

echo lab >/proc/sys/kernel/hostname
ip link set lo up || fail "lo up"
job "$L/argv"
rc=$?
if [ $rc = 0 ] && [ -e "$L/argv.booted" ]; then
	# Boot systemd as PID 1 in this root: the job above prepared it; the job
	# unit runs phase 3. The extra argument keeps this file's path on PID 1's
	# command line (lab.Inside); systemd as PID 1 ignores excess arguments.
	mkdir -p /run/systemd/system/multi-user.target.wants || fail "mkdir /run/systemd/system"
	cp "$L/job.service" /run/systemd/system/hostnet-lab-job.service || fail "job unit"
	ln -s ../hostnet-lab-job.service /run/systemd/system/multi-user.target.wants/ || fail "job unit"
	exec /lib/systemd/systemd "$L/init.sh"
	fail "exec systemd"
fi
echo $rc >"$L/exit"
# Power off at once: nothing inside needs a clean shutdown.
echo o >/proc/sysrq-trigger || halt -f
sleep 10
