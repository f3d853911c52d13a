package coexist

import (
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// NMDropIn is the NetworkManager configuration hostnet writes: it appends (+=, so other
// files' entries stay) the plan's NICs by MAC and its links by name to
// unmanaged-devices. NetworkManager does not touch unmanaged devices, whatever
// connection profiles exist for them.
const NMDropIn = "/etc/NetworkManager/conf.d/99-hostnet.conf"

// nmConfFiles are NetworkManager's configuration files in the order it reads them (later
// ones override earlier ones, NetworkManager.conf(5)).
func nmConfFiles(root string) []string {
	var out []string
	for _, d := range []string{"/usr/lib/NetworkManager/conf.d", "/run/NetworkManager/conf.d"} {
		out = append(out, confD(root, d)...)
	}
	out = append(out, "/etc/NetworkManager/NetworkManager.conf")
	return append(out, confD(root, "/etc/NetworkManager/conf.d")...)
}

func confD(root, dir string) []string {
	ents, _ := os.ReadDir(under(root, dir))
	var out []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".conf") {
			out = append(out, dir+"/"+e.Name())
		}
	}
	sort.Strings(out)
	return out
}

// nmUnmanaged evaluates [keyfile] unmanaged-devices over the configuration files (=
// replaces, += appends, -= removes) into device specs.
func nmUnmanaged(root string) []string {
	var specs []string
	for _, f := range nmConfFiles(root) {
		b, ok := readConfig(under(root, f))
		if !ok {
			continue
		}
		for _, e := range parseINI(b) {
			if e.Section != "keyfile" {
				continue
			}
			vals := splitSpecs(e.Value)
			switch e.Key {
			case "unmanaged-devices":
				specs = vals
			case "unmanaged-devices+":
				specs = append(specs, vals...)
			case "unmanaged-devices-":
				var keep []string
				for _, s := range specs {
					if !contains(vals, s) {
						keep = append(keep, s)
					}
				}
				specs = keep
			}
		}
	}
	return specs
}

func splitSpecs(v string) []string {
	var out []string
	for _, s := range strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == ',' }) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// nmSpecMatches reports whether one device spec selects t: "*", "mac:...",
// "interface-name:..." (a glob; "=" for an exact name); a bare MAC or name as old
// releases wrote them. Specs it does not know (driver:, type:, ...) select nothing.
func nmSpecMatches(spec string, t Iface) bool {
	kind, val, ok := strings.Cut(spec, ":")
	if !ok {
		return spec == "*" || sameMAC(spec, t.MAC) || spec == t.Name
	}
	switch kind {
	case "mac":
		return sameMAC(val, t.MAC)
	case "interface-name":
		if strings.HasPrefix(val, "=") {
			return val[1:] == t.Name
		}
		m, _ := path.Match(strings.TrimPrefix(val, "~"), t.Name)
		return m
	}
	if sameMAC(spec, t.MAC) { // "aa:bb:..." parses as kind "aa"
		return true
	}
	return false
}

// nmProfile is one keyfile connection profile.
type nmProfile struct {
	Path, ID, Type, Iface, MAC string
	IfaceLine, MACLine         int
}

func nmProfiles(root string) []nmProfile {
	var out []nmProfile
	for _, d := range []string{"/etc/NetworkManager/system-connections", "/run/NetworkManager/system-connections", "/usr/lib/NetworkManager/system-connections"} {
		ents, _ := os.ReadDir(under(root, d))
		for _, e := range ents {
			n := e.Name()
			if !strings.HasSuffix(n, ".nmconnection") {
				continue
			}
			b, ok := readConfig(filepath.Join(under(root, d), n))
			if !ok {
				continue
			}
			p := nmProfile{Path: d + "/" + n}
			for _, e := range parseINI(b) {
				switch {
				case e.Section == "connection" && e.Key == "id":
					p.ID = e.Value
				case e.Section == "connection" && e.Key == "type":
					p.Type = e.Value
				case e.Section == "connection" && e.Key == "interface-name":
					p.Iface, p.IfaceLine = e.Value, e.Line
				case (e.Section == "ethernet" || e.Section == "802-3-ethernet") && e.Key == "mac-address":
					p.MAC, p.MACLine = e.Value, e.Line
				}
			}
			out = append(out, p)
		}
	}
	return out
}

// DetectNetworkManager finds the targets NetworkManager would manage: those a keyfile
// profile names (interface-name=) or binds by MAC (mac-address=), and, when
// NetworkManager is enabled, every NIC (it activates an automatic "Wired connection" on
// any ethernet device it may manage); targets its unmanaged-devices cover are left out.
func DetectNetworkManager(root string, targets []Iface) ([]Conflict, error) {
	unmanaged := nmUnmanaged(root)
	enabled := enabledUnit(root, "NetworkManager.service")
	fix := "hostnet install writes " + NMDropIn + " (unmanaged-devices) so that NetworkManager leaves it alone."
	var out []Conflict
	profiles := nmProfiles(root)
	for _, t := range targets {
		free := false
		for _, s := range unmanaged {
			free = free || nmSpecMatches(s, t)
		}
		if free {
			continue
		}
		found := false
		for _, p := range profiles {
			switch {
			case p.Iface != "" && p.Iface == t.Name:
				out = append(out, Conflict{Manager: NetworkManager, File: p.Path, Line: p.IfaceLine, Iface: t.Name,
					How: "profile " + quote(p.ID) + " (" + p.Type + ") has interface-name=" + p.Iface, Fix: fix, Resolvable: true})
				found = true
			case p.MAC != "" && sameMAC(p.MAC, t.MAC):
				out = append(out, Conflict{Manager: NetworkManager, File: p.Path, Line: p.MACLine, Iface: t.Name,
					How: "profile " + quote(p.ID) + " (" + p.Type + ") has mac-address=" + p.MAC, Fix: fix, Resolvable: true})
				found = true
			}
		}
		if !found && enabled && t.MAC != nil {
			out = append(out, Conflict{Manager: NetworkManager, File: "/etc/systemd/system/multi-user.target.wants/NetworkManager.service",
				Iface: t.Name, How: "NetworkManager is enabled and manages every NIC not in unmanaged-devices", Fix: fix, Resolvable: true})
		}
	}
	return out, nil
}

func quote(s string) string { return "\"" + s + "\"" }

// nmDropIn is the text of NMDropIn for targets.
func nmDropIn(targets []Iface) string {
	var specs []string
	for _, m := range macs(targets) {
		specs = append(specs, "mac:"+m)
	}
	for _, t := range targets {
		if t.MAC == nil {
			specs = append(specs, "interface-name:="+t.Name)
		}
	}
	return "# Written by hostnet install: hostnet configures these devices, NetworkManager leaves\n" +
		"# them alone. hostnet uninstall removes this file.\n[keyfile]\nunmanaged-devices+=" + strings.Join(specs, ";") + "\n"
}
