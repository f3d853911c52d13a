// Package status builds the live view of a host's network that `hostnet status` shows:
// bonds with their mode, active slave and per-slave link state, bridges with their ports,
// VLANs, and (given a plan) the drift between plan and kernel. It only reads.
package status

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/hostnet/hostnet/hostnet/bonding"
	"github.com/hostnet/hostnet/hostnet/engine"
	"github.com/hostnet/hostnet/hostnet/live"
)

// Report is the machine form of the status view.
type Report struct {
	Bonds   []Bond   `json:"bonds"`
	Bridges []Bridge `json:"bridges"`
	VLANs   []VLAN   `json:"vlans"`
	// Drift lists the plan objects that differ from the kernel; nil without a plan.
	Drift []engine.Change `json:"drift,omitempty"`
	// PlanChecked is true when a plan was compared.
	PlanChecked bool `json:"plan_checked"`
}

// Bond is one bond's live state.
type Bond struct {
	Name        string   `json:"name"`
	Owner       string   `json:"owner,omitempty"` // plan address from the ownership mark
	Mode        string   `json:"mode"`
	State       string   `json:"state"` // operational state
	MTU         int      `json:"mtu"`
	MAC         string   `json:"mac"`
	ActiveSlave string   `json:"active_slave,omitempty"`
	Miimon      uint64   `json:"miimon_ms"`
	ArpInterval uint64   `json:"arp_interval_ms,omitempty"`
	ArpTargets  []string `json:"arp_ip_target,omitempty"`
	NSTargets   []string `json:"ns_ip6_target,omitempty"`
	ArpValidate string   `json:"arp_validate,omitempty"` // with ARP monitoring only
	Updelay     uint64   `json:"updelay_ms"`
	Downdelay   uint64   `json:"downdelay_ms"`
	Slaves      []Slave  `json:"slaves"`
	Addresses   []string `json:"addresses"`
	LACP        *LACP    `json:"lacp,omitempty"` // 802.3ad only
}

// LACP is what 802.3ad negotiated: the active aggregator and the partner.
type LACP struct {
	AggregatorID uint16 `json:"aggregator_id"`
	Ports        uint16 `json:"ports"`
	ActorKey     uint16 `json:"actor_key"`
	PartnerKey   uint16 `json:"partner_key"`
	PartnerMAC   string `json:"partner_mac"`
	// PartnerFound is false when no LACPDU came back: the switch ports run no LACP.
	PartnerFound bool `json:"partner_found"`
}

// Slave is one bond member.
type Slave struct {
	Name         string `json:"name"`
	PermMAC      string `json:"perm_mac,omitempty"`
	MII          string `json:"mii"`  // up, fail, down, back
	Role         string `json:"role"` // active, backup
	SpeedMbps    int    `json:"speed_mbps,omitempty"`
	Failures     uint32 `json:"link_failures"`
	AggregatorID uint16 `json:"aggregator_id,omitempty"`
	// LACP is the 802.3ad state of this port and of its partner; nil outside 802.3ad.
	LACP *PortLACP `json:"lacp,omitempty"`
}

// PortLACP is one port's 802.3ad state, as IEEE 802.1AX state bits by name.
type PortLACP struct {
	Actor   []string `json:"actor"`   // e.g. active, short_timeout, aggregation, in_sync, collecting, distributing
	Partner []string `json:"partner"` // the same bits as the partner last sent them
	// Distributing is true when this port and its partner both collect and distribute:
	// the port carries traffic.
	Distributing bool `json:"distributing"`
}

// lacpBits names the 802.1AX port state bits, lowest first.
var lacpBits = []string{"active", "short_timeout", "aggregation", "in_sync", "collecting", "distributing", "defaulted", "expired"}

func lacpState(v uint8) []string {
	out := []string{}
	for i, n := range lacpBits {
		if v&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

const collDist = 1<<4 | 1<<5

// Bridge is one bridge's live state.
type Bridge struct {
	Name      string   `json:"name"`
	Owner     string   `json:"owner,omitempty"`
	State     string   `json:"state"`
	STP       bool     `json:"stp"`
	Ports     []string `json:"ports"`
	Addresses []string `json:"addresses"`
}

// VLAN is one VLAN link.
type VLAN struct {
	Name  string `json:"name"`
	ID    int    `json:"id"`
	Link  string `json:"link"`
	State string `json:"state"`
}

var miiNames = []string{"up", "fail", "down", "back"}

// Build reads the report out of a live state. drift may be nil (no plan given).
func Build(s *live.State, drift *engine.Changes) *Report {
	r := &Report{Bonds: []Bond{}, Bridges: []Bridge{}, VLANs: []VLAN{}}
	for _, l := range s.Links {
		switch {
		case l.Bond != nil:
			r.Bonds = append(r.Bonds, bondOf(s, l))
		case l.Bridge != nil:
			br := Bridge{Name: l.Name, Owner: owner(l), State: l.OperString(), STP: l.Bridge.STPState != 0, Addresses: addrs(l)}
			for _, p := range s.Slaves(l) {
				br.Ports = append(br.Ports, p.Name)
			}
			r.Bridges = append(r.Bridges, br)
		case l.VLAN != nil:
			r.VLANs = append(r.VLANs, VLAN{Name: l.Name, ID: l.VLAN.ID, Link: s.Name(l.ParentIndex), State: l.OperString()})
		}
	}
	if drift != nil {
		r.PlanChecked = true
		r.Drift = drift.ChangedObjects()
	}
	return r
}

func owner(l *live.Link) string {
	addr, _ := l.Mark()
	return addr
}

func addrs(l *live.Link) []string {
	var out []string
	for _, a := range l.Addrs {
		if !a.LinkLocal() {
			out = append(out, a.Prefix.String())
		}
	}
	return out
}

func bondOf(s *live.State, l *live.Link) Bond {
	o := &l.Bond.Options
	b := Bond{
		Name: l.Name, Owner: owner(l), Mode: o.Mode().String(), State: l.OperString(), MTU: l.MTU,
		MAC: l.MAC.String(), Miimon: o.Num(bonding.OptMiimon), ArpInterval: o.Num(bonding.OptArpInterval),
		ActiveSlave: o.Get(bonding.OptActiveSlave).Iface, Addresses: addrs(l),
		Updelay: o.Num(bonding.OptUpdelay), Downdelay: o.Num(bonding.OptDowndelay),
	}
	for _, a := range o.Get(bonding.OptArpIPTarget).Addrs {
		b.ArpTargets = append(b.ArpTargets, a.String())
	}
	for _, a := range o.Get(bonding.OptNSIP6Target).Addrs {
		b.NSTargets = append(b.NSTargets, a.String())
	}
	if b.ArpInterval > 0 {
		b.ArpValidate = o.Get(bonding.OptArpValidate).Format(bonding.OptArpValidate)
	}
	if ad := l.Bond.AD; ad != nil {
		b.LACP = &LACP{AggregatorID: ad.AggregatorID, Ports: ad.NumPorts, ActorKey: ad.ActorKey, PartnerKey: ad.PartnerKey,
			PartnerMAC: ad.PartnerMAC.String(), PartnerFound: ad.PartnerMAC != nil && !isZero(ad.PartnerMAC)}
	}
	for _, sl := range s.Slaves(l) {
		out := Slave{Name: sl.Name, SpeedMbps: speed(sl.Name)}
		if bs := sl.BondSlave; bs != nil {
			if int(bs.MIIStatus) < len(miiNames) {
				out.MII = miiNames[bs.MIIStatus]
			}
			out.Role = "backup"
			if bs.State == 0 {
				out.Role = "active"
			}
			out.Failures = bs.LinkFailureCount
			out.AggregatorID = bs.AggregatorID
			if bs.PermMAC != nil {
				out.PermMAC = bs.PermMAC.String()
			}
			if o.Mode() == bonding.LACP {
				out.LACP = &PortLACP{Actor: lacpState(bs.ADActorState), Partner: lacpState(bs.ADPartnerState),
					Distributing: bs.ADActorState&collDist == collDist && bs.ADPartnerState&collDist == collDist}
			}
		}
		b.Slaves = append(b.Slaves, out)
	}
	sort.Slice(b.Slaves, func(i, j int) bool { return b.Slaves[i].Name < b.Slaves[j].Name })
	return b
}

// speed reads the link speed the driver reports; 0 when unknown. Only sysfs has it.
func speed(name string) int {
	b, err := os.ReadFile(filepath.Join("/sys/class/net", name, "speed"))
	if err != nil {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// WriteText renders the report for a terminal.
func WriteText(w io.Writer, r *Report) error {
	var b strings.Builder
	if len(r.Bonds) == 0 {
		b.WriteString("No bonds.\n")
	}
	for _, bd := range r.Bonds {
		fmt.Fprintf(&b, "bond %s  %s  mode %s  mtu %d  mac %s", bd.Name, bd.State, bd.Mode, bd.MTU, bd.MAC)
		if bd.Owner != "" {
			fmt.Fprintf(&b, "  (%s)", bd.Owner)
		}
		b.WriteString("\n")
		mon := fmt.Sprintf("miimon %d ms", bd.Miimon)
		if bd.ArpInterval > 0 {
			mon = fmt.Sprintf("arp_interval %d ms", bd.ArpInterval)
		}
		fmt.Fprintf(&b, "  monitoring: %s  updelay %d ms  downdelay %d ms", mon, bd.Updelay, bd.Downdelay)
		if bd.ActiveSlave != "" {
			fmt.Fprintf(&b, "   active slave: %s", bd.ActiveSlave)
		}
		b.WriteString("\n")
		if bd.ArpInterval > 0 {
			fmt.Fprintf(&b, "  arp_validate %s  arp_ip_target %s", bd.ArpValidate, orNone(bd.ArpTargets))
			if len(bd.NSTargets) > 0 {
				fmt.Fprintf(&b, "  ns_ip6_target %s", strings.Join(bd.NSTargets, ","))
			}
			b.WriteString("\n")
		}
		if len(bd.Addresses) > 0 {
			fmt.Fprintf(&b, "  addresses: %s\n", strings.Join(bd.Addresses, ", "))
		}
		if l := bd.LACP; l != nil {
			if l.PartnerFound {
				fmt.Fprintf(&b, "  lacp: aggregator %d with %d port(s), partner %s key %d\n", l.AggregatorID, l.Ports, l.PartnerMAC, l.PartnerKey)
			} else {
				fmt.Fprintf(&b, "  lacp: NO PARTNER: no LACPDU from the switch (aggregator %d, %d port(s)); check LACP on the switch ports\n", l.AggregatorID, l.Ports)
			}
		}
		for _, sl := range bd.Slaves {
			sp := "speed ?"
			if sl.SpeedMbps > 0 {
				sp = fmt.Sprintf("%d Mb/s", sl.SpeedMbps)
			}
			fmt.Fprintf(&b, "  slave %-12s mii %-4s %-6s %-10s link failures %d", sl.Name, sl.MII, sl.Role, sp, sl.Failures)
			if sl.AggregatorID != 0 {
				fmt.Fprintf(&b, "  aggregator %d", sl.AggregatorID)
			}
			b.WriteString("\n")
			if l := sl.LACP; l != nil {
				fmt.Fprintf(&b, "    lacp actor %s  partner %s\n", orNone(l.Actor), orNone(l.Partner))
			}
		}
	}
	if len(r.Bridges) > 0 {
		fmt.Fprintf(&b, "\n%d bridge(s):\n", len(r.Bridges))
		for i, br := range r.Bridges {
			if i == 20 {
				fmt.Fprintf(&b, "  ... and %d more (--json lists all)\n", len(r.Bridges)-20)
				break
			}
			fmt.Fprintf(&b, "  %-15s %-6s stp %-3s ports %s", br.Name, br.State, onOff(br.STP), strings.Join(br.Ports, " "))
			if len(br.Addresses) > 0 {
				fmt.Fprintf(&b, "  addresses %s", strings.Join(br.Addresses, ", "))
			}
			b.WriteString("\n")
		}
	}
	if len(r.VLANs) > 0 {
		fmt.Fprintf(&b, "\n%d VLAN(s):", len(r.VLANs))
		for i, v := range r.VLANs {
			if i == 20 {
				fmt.Fprintf(&b, " ... and %d more", len(r.VLANs)-20)
				break
			}
			fmt.Fprintf(&b, " %s(%d)", v.Name, v.ID)
		}
		b.WriteString("\n")
	}
	if r.PlanChecked {
		if len(r.Drift) == 0 {
			b.WriteString("\nNo drift: the live network matches the plan.\n")
		} else {
			fmt.Fprintf(&b, "\nDrift: %d object(s) differ from the plan:\n", len(r.Drift))
			for _, c := range r.Drift {
				fmt.Fprintf(&b, "  %s needs %s\n", c.Address, c.Action)
			}
			b.WriteString("Run `hostnet plan` for details.\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func isZero(mac []byte) bool {
	for _, b := range mac {
		if b != 0 {
			return false
		}
	}
	return true
}

func orNone(ss []string) string {
	if len(ss) == 0 {
		return "(none)"
	}
	return strings.Join(ss, ",")
}
