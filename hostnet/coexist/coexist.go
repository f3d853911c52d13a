// Package coexist owns hostnet's coexistence with the distribution's network stack.
// Before hostnet takes over a host, NetworkManager, systemd-networkd or ifupdown may
// already manage the NICs and names a plan touches; each would fight hostnet at boot or
// on the next link event. coexist finds them (configuration files under a root
// directory: NetworkManager's keyfiles and conf.d, networkd's .network and .netdev
// files, /etc/network/interfaces and what it sources), says what to do about each, and
// writes the drop-ins that hand those interfaces to hostnet (and removes them again).
package coexist

import (
	"fmt"
	"net"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/plan"
)

// Managers.
const (
	NetworkManager = "NetworkManager"
	Networkd       = "systemd-networkd"
	Ifupdown       = "ifupdown"
)

// Iface is one interface a plan touches, as the network managers would see it.
type Iface struct {
	Name string           // kernel name (a NIC's live name; the plan's name for what hostnet creates)
	Kind string           // networkd's Type=: "ether", "bond", "bridge", "vlan"
	MAC  net.HardwareAddr // NICs: the plan's MAC; nil for links hostnet creates
	// Label is the plan's address of the block ("nic.uplink0"), for messages.
	Label string
}

// Targets lists what plan p touches on a host in state s (nil: the NICs keep their plan
// names): every NIC by its live kernel name and MAC (and by its new name when the plan
// renames it), every bond, VLAN and bridge by name.
func Targets(p *plan.Plan, s *live.State) []Iface {
	var out []Iface
	for _, i := range p.Interfaces() {
		c := i.Common()
		switch n := i.(type) {
		case *plan.NIC:
			name := c.Name
			if s != nil {
				if l, err := s.NIC(c.MAC); err == nil && l != nil {
					name = l.Name
				}
			}
			out = append(out, Iface{Name: name, Kind: "ether", MAC: c.MAC, Label: c.Addr})
			if n.Rename && name != c.Name {
				out = append(out, Iface{Name: c.Name, Kind: "ether", MAC: c.MAC, Label: c.Addr})
			}
		default:
			out = append(out, Iface{Name: c.Name, Kind: string(c.Kind), Label: c.Addr})
		}
	}
	return out
}

// Conflict is one piece of configuration of another network manager that manages an
// interface of the plan.
type Conflict struct {
	Manager string `json:"manager"`
	File    string `json:"file"` // path on the target system
	Line    int    `json:"line,omitempty"`
	Iface   string `json:"interface"`
	How     string `json:"how"` // why it applies: "[Match] MACAddress=..."
	Fix     string `json:"fix"` // what to do
	// Resolvable is true when `hostnet install` writes the drop-in that resolves it.
	Resolvable bool `json:"resolvable"`
}

func (c Conflict) String() string {
	loc := c.File
	if c.Line > 0 {
		loc = fmt.Sprintf("%s:%d", c.File, c.Line)
	}
	return fmt.Sprintf("%s manages %s (%s: %s). %s", c.Manager, c.Iface, loc, c.How, c.Fix)
}

// Detect runs every detector over the configuration under root ("" or "/" = this host,
// where a running NetworkManager is also asked over D-Bus).
func Detect(root string, targets []Iface) ([]Conflict, error) {
	var out []Conflict
	for _, d := range []func(string, []Iface) ([]Conflict, error){DetectNetworkd, DetectNetworkManager, DetectIfupdown} {
		c, err := d(root, targets)
		if err != nil {
			return out, err
		}
		out = append(out, c...)
	}
	if root == "" || root == "/" {
		c, err := DetectNMDevices(targets)
		if err != nil {
			return out, err
		}
		out = append(out, c...)
	}
	return out, nil
}

// under is p under root.
func under(root, p string) string {
	if root == "" || root == "/" {
		return p
	}
	return filepath.Join(root, p)
}

// names returns the names of targets, sorted, without duplicates.
func names(targets []Iface) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range targets {
		if !seen[t.Name] {
			seen[t.Name] = true
			out = append(out, t.Name)
		}
	}
	sort.Strings(out)
	return out
}

// macs returns the NICs' MACs, lower case, sorted, without duplicates.
func macs(targets []Iface) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range targets {
		if t.MAC != nil && !seen[t.MAC.String()] {
			seen[t.MAC.String()] = true
			out = append(out, t.MAC.String())
		}
	}
	sort.Strings(out)
	return out
}

func sameMAC(a string, b net.HardwareAddr) bool {
	m, err := net.ParseMAC(strings.TrimSpace(a))
	return err == nil && b != nil && m.String() == b.String()
}
