package coexist

import (
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// networkdDirs are where systemd-networkd reads .network and .netdev files; a file name
// in an earlier directory hides the same name in later ones (systemd.network(5)).
var networkdDirs = []string{"/etc/systemd/network", "/run/systemd/network", "/usr/local/lib/systemd/network", "/usr/lib/systemd/network", "/lib/systemd/network"}

// Drop-ins hostnet writes for networkd: one matches the NICs by MAC, the other the links
// hostnet creates by name ([Match] keys are ANDed, so they cannot share a file). Their
// names sort before the usual NN-name.network files, and networkd applies the first
// .network file (in lexical order) that matches a link.
const (
	NetworkdNICs  = "/etc/systemd/network/00-hostnet-nics.network"
	NetworkdLinks = "/etc/systemd/network/00-hostnet-links.network"
)

// networkdFile is one .network or .netdev file, with what decides which links it takes.
type networkdFile struct {
	Name, Path string // file name; path on the target system
	entries    []entry
}

// networkdFiles lists the .network or .netdev (ext) files under root in networkd's
// order: by file name, each name from the first directory that has it.
func networkdFiles(root, ext string) []networkdFile {
	seen := map[string]bool{}
	var out []networkdFile
	for _, d := range networkdDirs {
		ents, _ := os.ReadDir(under(root, d))
		for _, e := range ents {
			n := e.Name()
			if !strings.HasSuffix(n, ext) || seen[n] {
				continue
			}
			seen[n] = true
			b, ok := readConfig(filepath.Join(under(root, d), n))
			if !ok {
				continue // masked
			}
			out = append(out, networkdFile{Name: n, Path: d + "/" + n, entries: parseINI(b)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// matches reports whether the [Match] section of f selects t, and how (for messages).
// Conditions it cannot evaluate offline (Driver=, Path=, Host=, ...) count as matching:
// better a warning too many than a NIC taken from under hostnet.
func (f networkdFile) matches(t Iface) (bool, string, int) {
	lists := map[string][]string{}
	line := map[string]int{}
	any := false
	for _, e := range f.entries {
		if e.Section != "Match" {
			continue
		}
		any = true
		if e.Value == "" {
			delete(lists, e.Key) // an empty assignment resets the list
			continue
		}
		lists[e.Key] = append(lists[e.Key], strings.Fields(e.Value)...)
		line[e.Key] = e.Line
	}
	if !any || len(lists) == 0 {
		return true, "no [Match] section: it matches every link", 0
	}
	var how []string
	first := 0
	for key, vals := range lists {
		ok := true
		switch key {
		case "Name", "OriginalName":
			ok = globList(vals, t.Name)
		case "MACAddress", "PermanentMACAddress":
			ok = false
			for _, v := range vals {
				ok = ok || sameMAC(v, t.MAC)
			}
		case "Type", "Kind":
			ok = globList(vals, t.Kind)
		}
		if !ok {
			return false, "", 0
		}
		how = append(how, key+"="+strings.Join(vals, " "))
		if first == 0 || line[key] < first {
			first = line[key]
		}
	}
	sort.Strings(how)
	return true, "[Match] " + strings.Join(how, ", "), first
}

// globList is networkd's list match: shell globs, the whole list negated by a leading '!'.
func globList(pats []string, s string) bool {
	neg := len(pats) > 0 && strings.HasPrefix(pats[0], "!")
	hit := false
	for i, p := range pats {
		if i == 0 && neg {
			p = p[1:]
		}
		if ok, _ := path.Match(p, s); ok {
			hit = true
		}
	}
	return hit != neg
}

func (f networkdFile) unmanaged() bool {
	for _, e := range f.entries {
		if e.Section == "Link" && e.Key == "Unmanaged" {
			v := strings.ToLower(e.Value)
			return v == "yes" || v == "true" || v == "1" || v == "on"
		}
	}
	return false
}

// DetectNetworkd finds the .network files through which systemd-networkd would
// configure a target (the first matching one in lexical order, unless it says
// Unmanaged=yes) and the .netdev files that create a link of the plan's names.
func DetectNetworkd(root string, targets []Iface) ([]Conflict, error) {
	var out []Conflict
	enabled := enabledUnit(root, "systemd-networkd.service")
	note := ""
	if !enabled {
		note = " (systemd-networkd is not enabled now; this applies once it is)"
	}
	nets := networkdFiles(root, ".network")
	for _, t := range targets {
		for _, f := range nets {
			ok, how, line := f.matches(t)
			if !ok {
				continue
			}
			if f.unmanaged() {
				break
			}
			drop := NetworkdLinks
			if t.MAC != nil {
				drop = NetworkdNICs
			}
			c := Conflict{Manager: Networkd, File: f.Path, Line: line, Iface: t.Name, How: how + note,
				Fix:        "hostnet install writes " + drop + " (Unmanaged=yes) so that networkd leaves it alone; or remove the file.",
				Resolvable: f.Name > filepath.Base(drop) || f.Path == NetworkdNICs || f.Path == NetworkdLinks}
			if !c.Resolvable {
				c.Fix = "it sorts before hostnet's " + filepath.Base(drop) + ": rename or remove " + f.Path + "."
			}
			out = append(out, c)
			break
		}
	}
	byName := map[string]bool{}
	for _, t := range targets {
		byName[t.Name] = true
	}
	for _, f := range networkdFiles(root, ".netdev") {
		for _, e := range f.entries {
			if e.Section == "NetDev" && e.Key == "Name" && byName[e.Value] {
				out = append(out, Conflict{Manager: Networkd, File: f.Path, Line: e.Line, Iface: e.Value,
					How: "[NetDev] Name=" + e.Value + ": networkd creates this link itself" + note,
					Fix: "remove " + f.Path + " (or mask it: a link to /dev/null in /etc/systemd/network): hostnet creates " + e.Value + "."})
			}
		}
	}
	return out, nil
}

// networkdDropIns are the files that hand the targets to hostnet.
func networkdDropIns(targets []Iface) map[string]string {
	head := "# Written by hostnet install: hostnet configures these links, systemd-networkd leaves\n# them alone. hostnet uninstall removes this file.\n"
	out := map[string]string{}
	if m := macs(targets); len(m) > 0 {
		out[NetworkdNICs] = head + "[Match]\nMACAddress=" + strings.Join(m, " ") + "\n\n[Link]\nUnmanaged=yes\n"
	}
	var created []string
	for _, t := range targets {
		if t.MAC == nil {
			created = append(created, t.Name)
		}
	}
	if len(created) > 0 {
		sort.Strings(created)
		out[NetworkdLinks] = head + "[Match]\nName=" + strings.Join(created, " ") + "\n\n[Link]\nUnmanaged=yes\n"
	}
	return out
}

// enabledUnit reports whether a unit is enabled under root: a link in a .wants directory
// of /etc/systemd/system, and no mask (a link to /dev/null) in /etc or /run.
func enabledUnit(root, unit string) bool {
	for _, d := range []string{"/etc/systemd/system/", "/run/systemd/system/"} {
		if t, err := os.Readlink(under(root, d+unit)); err == nil && t == "/dev/null" {
			return false
		}
	}
	m, _ := filepath.Glob(under(root, "/etc/systemd/system/*.wants/"+unit))
	return len(m) > 0
}
