// Package install owns hostnet's place on a host across reboots: the plan kept under
// /etc/hostnet, the systemd units that apply it at boot (before libvirt and
// network-online.target, after udev settled the NICs) and run `hostnet watch`, the
// manifest of what was installed (so uninstall removes exactly that), the staging of a
// plan applied with --confirm-within until it is confirmed, and the boot record that
// `hostnet status` shows. Every path is under a root directory, so tests and image
// builders can install into a directory tree instead of the running system.
package install

import (
	"path/filepath"
)

// Paths on the target system (the units name them as such, whatever the root).
const (
	ConfDir      = "/etc/hostnet"
	PlanDir      = ConfDir + "/plan"          // the plan's *.hcl and *.vars.hcl files
	ManifestPath = ConfDir + "/manifest.json" // what install wrote, for uninstall
	UnitDir      = "/etc/systemd/system"
	BootUnit     = "hostnet-boot.service"
	WatchUnit    = "hostnet-watch.service"
)

// Layout roots every path: Root "" or "/" is the running system.
type Layout struct {
	Root string
}

// Path is p (an absolute path on the target system) under the root.
func (l Layout) Path(p string) string {
	if l.Root == "" || l.Root == "/" {
		return p
	}
	return filepath.Join(l.Root, p)
}

// Live reports whether the layout is the running system's.
func (l Layout) Live() bool { return l.Root == "" || l.Root == "/" }
