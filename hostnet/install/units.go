package install

import (
	"fmt"
	"strings"
)

// UnitOptions are what the unit files say beyond the fixed ordering.
type UnitOptions struct {
	Exec     string   // absolute path of the hostnet binary
	VarFiles []string // absolute target paths of the installed variable files, in order
	StateDir string   // "" = hostnet's default
}

// args are the arguments every unit passes after the subcommand. Install only ever puts
// paths of its own making here (no spaces, no quotes), so no systemd quoting is needed;
// BootUnitText and WatchUnitText refuse anything else.
func (o UnitOptions) args() ([]string, error) {
	var a []string
	if o.StateDir != "" {
		a = append(a, "--state-dir", o.StateDir)
	}
	for _, f := range o.VarFiles {
		a = append(a, "--var-file", f)
	}
	a = append(a, PlanDir)
	for _, s := range append([]string{o.Exec}, a...) {
		if !unitSafe(s) {
			return nil, fmt.Errorf("%q cannot go into a unit file unquoted: use a path of letters, digits and ._/-", s)
		}
	}
	return a, nil
}

func unitSafe(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._/-+:", r)) {
			return false
		}
	}
	return true
}

// BootUnitText is hostnet-boot.service: a oneshot that applies the installed plan once
// at boot. Ordering: after udev has settled (the NICs exist under their final names) and
// the kernel modules and sysctls are in place; before network.target and
// network-online.target (what waits for the network gets the plan's), before libvirtd
// and virtnetworkd, so that libvirt's autostarted networks find their bridges, and before
// systemd-networkd and NetworkManager, which then find the plan's links in place and
// leave them alone (the coexistence drop-ins).
// Without default dependencies it can run that early; it still stops before shutdown.
func BootUnitText(o UnitOptions) (string, error) {
	a, err := o.args()
	if err != nil {
		return "", err
	}
	return `# Written by hostnet install; removed by hostnet uninstall.
[Unit]
Description=hostnet: apply the host network plan in ` + PlanDir + `
Documentation=https://github.com/hostnet/hostnet#boot-persistence
DefaultDependencies=no
ConditionPathIsDirectory=` + PlanDir + `
Wants=systemd-udev-settle.service network.target
After=systemd-udev-settle.service systemd-udevd.service systemd-modules-load.service systemd-sysctl.service network-pre.target local-fs.target
Before=network.target network-online.target libvirtd.service virtnetworkd.service systemd-networkd.service NetworkManager.service ` + WatchUnit + ` shutdown.target
Conflicts=shutdown.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=` + o.Exec + ` boot ` + strings.Join(a, " ") + `
SyslogIdentifier=hostnet
TimeoutStartSec=5min

[Install]
WantedBy=multi-user.target network-online.target
`, nil
}

// WatchUnitText is hostnet-watch.service: `hostnet watch` as a long-running service,
// restarted when it fails, logging to the journal with priorities (package journal).
func WatchUnitText(o UnitOptions) (string, error) {
	a, err := o.args()
	if err != nil {
		return "", err
	}
	// watch takes no --state-dir.
	if o.StateDir != "" {
		a = a[2:]
	}
	return `# Written by hostnet install; removed by hostnet uninstall.
[Unit]
Description=hostnet watch: re-announce guest MACs upstream on bond failover
Documentation=https://github.com/hostnet/hostnet#boot-persistence
Wants=` + BootUnit + `
After=` + BootUnit + ` network.target

[Service]
Type=simple
ExecStart=` + o.Exec + ` watch ` + strings.Join(a, " ") + `
Restart=on-failure
RestartSec=2s
SyslogIdentifier=hostnet-watch

[Install]
WantedBy=multi-user.target
`, nil
}
