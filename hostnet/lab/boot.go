package lab

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// jobUnit runs the Booted argv (init.sh phase 3) once multi-user.target is reached. Without
// default dependencies it can order itself after the target that pulls it in.
const jobUnit = `[Unit]
Description=hostnet lab job (after boot)
DefaultDependencies=no
Requires=multi-user.target
After=multi-user.target

[Service]
Type=simple
ExecStart=/bin/bash /run/hostnet-lab/init.sh booted
TimeoutStartSec=infinity
`

// uselessInUML are units that cannot work in the lab (no terminals, no real disks, no
// hardware clock, no kernel features it lacks) or only slow its boot; PrepareBoot masks
// them.
var uselessInUML = []string{
	"getty@tty1.service", "serial-getty@ttyS0.service", "console-getty.service", "getty-static.service",
	"getty.target", "systemd-remount-fs.service", "systemd-firstboot.service", "systemd-random-seed.service",
	"systemd-machine-id-commit.service", "systemd-binfmt.service", "proc-sys-fs-binfmt_misc.automount",
	"sys-kernel-debug.mount", "sys-kernel-tracing.mount", "sys-kernel-config.mount", "sys-fs-fuse-connections.mount",
	"dev-hugepages.mount", "dev-mqueue.mount", "tmp.mount", "apparmor.service", "systemd-pstore.service",
	"systemd-timesyncd.service", "systemd-update-utmp.service", "systemd-logind.service",
	"e2scrub_reap.service", "cron.service", "ssh.service", "rsyslog.service", "apt-daily.timer",
	"apt-daily-upgrade.timer", "man-db.timer", "logrotate.timer", "fstrim.timer", "e2scrub_all.timer",
	"dpkg-db-backup.timer", "systemd-tmpfiles-clean.timer", "libvirt-guests.service",
	"systemd-hwdb-update.service", "ldconfig.service", "systemd-journal-catalog-update.service",
	"systemd-sysusers.service", "systemd-update-done.service",
}

// udevUnits run in every booted lab, as on a real host (scripts/setup masks them on the
// machine itself, where they are installed for the lab only).
var udevUnits = []string{"systemd-udevd.service", "systemd-udevd-control.socket", "systemd-udevd-kernel.socket",
	"systemd-udev-trigger.service", "systemd-udev-settle.service"}

// PrepareBoot readies the lab's root for a systemd boot (Options.Booted); it runs in the
// job before the boot. It replaces /etc/fstab with an empty one (the host's file systems
// are not the lab's), keeps /tmp from being emptied at boot, drops every unit the machine itself enabled (under
// /etc/systemd/system/*.wants) except keep, removes the machine's masks of keep and of udev
// (the set-up script masks the host's libvirtd and udev, which the lab needs), and masks the units that
// cannot work in user-mode Linux. Everything it writes lands in the throwaway overlay.
func PrepareBoot(keep ...string) error {
	if !Inside() {
		return errors.New("lab: PrepareBoot runs only inside the lab")
	}
	if err := os.WriteFile("/etc/fstab", []byte("# hostnet lab: no file systems to mount\n"), 0o644); err != nil {
		return err
	}
	// systemd-tmpfiles empties /tmp at boot (tmp.conf's "D"): the test binaries and the
	// callers' working directories live there.
	if err := os.WriteFile("/etc/tmpfiles.d/tmp.conf", []byte("d /tmp 1777 root root -\nd /var/tmp 1777 root root -\n"), 0o644); err != nil {
		return err
	}
	wants, _ := filepath.Glob("/etc/systemd/system/*.wants/*")
	for _, w := range wants {
		if !slices.Contains(keep, filepath.Base(w)) {
			if err := os.Remove(w); err != nil {
				return err
			}
		}
	}
	for _, u := range append(slices.Clone(keep), udevUnits...) {
		p := filepath.Join("/etc/systemd/system", u)
		if t, err := os.Readlink(p); err == nil && t == "/dev/null" {
			if err := os.Remove(p); err != nil {
				return err
			}
		}
	}
	for _, u := range uselessInUML {
		if slices.Contains(keep, u) {
			continue
		}
		p := filepath.Join("/etc/systemd/system", u)
		os.Remove(p)
		if err := os.Symlink("/dev/null", p); err != nil {
			return fmt.Errorf("lab: mask %s: %w", u, err)
		}
	}
	return nil
}

// Booted reports whether this process runs in a lab booted with systemd (Options.Booted).
func Booted() bool {
	b, err := os.ReadFile("/proc/1/comm")
	return Inside() && err == nil && strings.TrimSpace(string(b)) == "systemd"
}
