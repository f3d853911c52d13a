package live

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hostnet/hostnet/hostnet/bonding"
)

// Normalized renders the state as sorted text lines that two reads of an unchanged host
// render identically: ifindexes are replaced by names, and counters, operational state,
// the bond's current active slave, IPv6 link-local addresses and routes, address flags and
// learned FDB entries are left out. Static FDB entries and arp_notify appear when the read
// included them (ReadOptions). Compare two of them to prove that an apply+destroy left a host as it was.
func (s *State) Normalized() []string {
	var out []string
	for _, l := range s.Links {
		var b strings.Builder
		fmt.Fprintf(&b, "link %s kind=%q mac=%s mtu=%d up=%t", l.Name, l.Kind, l.MAC, l.MTU, l.Up())
		if l.MasterIndex != 0 {
			fmt.Fprintf(&b, " master=%s", s.Name(l.MasterIndex))
		}
		if l.ParentIndex != 0 {
			fmt.Fprintf(&b, " link=%s", s.Name(l.ParentIndex))
		}
		if l.Alias != "" {
			fmt.Fprintf(&b, " alias=%q", l.Alias)
		}
		if l.VLAN != nil {
			fmt.Fprintf(&b, " vlan=%d proto=%#04x", l.VLAN.ID, l.VLAN.Protocol)
		}
		if br := l.Bridge; br != nil {
			fmt.Fprintf(&b, " stp=%d forward_delay=%d ageing=%d vlan_filtering=%t mcast_snooping=%t",
				br.STPState, br.ForwardDelay, br.AgeingTime, br.VLANFiltering, br.MulticastSnooping)
		}
		if bd := l.Bond; bd != nil {
			for id := bonding.ID(0); id < bonding.NumOptions; id++ {
				if id == bonding.OptActiveSlave || !bd.Reported[id] {
					continue
				}
				fmt.Fprintf(&b, " %s=%s", bonding.Table[id].Name, bd.Options.Get(id).Format(id))
			}
		}
		if sl := l.BondSlave; sl != nil {
			fmt.Fprintf(&b, " perm_mac=%s queue_id=%d prio=%d", sl.PermMAC, sl.QueueID, sl.Prio)
		}
		if bp := l.BridgePort; bp != nil {
			fmt.Fprintf(&b, " learning=%t unicast_flood=%t mcast_flood=%t bcast_flood=%t",
				bp.Learning, bp.UnicastFlood, bp.MulticastFlood, bp.BroadcastFlood)
		}
		if l.ARPNotify != nil {
			fmt.Fprintf(&b, " arp_notify=%t", *l.ARPNotify)
		}
		if l.BridgeVLANs != nil {
			fmt.Fprintf(&b, " vlans=%q", l.BridgeVLANs.String())
		}
		out = append(out, b.String())
		for _, a := range l.Addrs {
			if !a.LinkLocal() {
				out = append(out, fmt.Sprintf("addr %s %s", l.Name, a.Prefix))
			}
		}
	}
	// Static FDB entries (when read): learned ones come and go with traffic.
	for _, e := range s.FDB {
		if e.Static() {
			out = append(out, fmt.Sprintf("fdb %s %s vlan=%d port=%s sticky=%t", s.Name(e.Bridge), e.MAC, e.VLAN,
				s.Name(e.Port), e.Sticky()))
		}
	}
	for _, r := range s.Routes {
		if r.Dst.Addr().Is6() && (r.Dst.Addr().IsLinkLocalUnicast() || r.Dst.Addr().IsMulticast()) {
			continue
		}
		line := fmt.Sprintf("route table=%d %s", r.Table, r.Dst)
		if r.Gateway.IsValid() {
			line += " via " + r.Gateway.String()
		}
		if r.OIF != 0 {
			line += " dev " + s.Name(r.OIF)
		}
		line += fmt.Sprintf(" metric=%d proto=%d scope=%d type=%d", r.Priority, r.Protocol, r.Scope, r.Type)
		out = append(out, line)
	}
	sort.Strings(out)
	return out
}

// DiffNormalized lists the lines of two Normalized dumps that differ: "- line" only in a,
// "+ line" only in b, in their order. Empty means the two states are the same. Linear in
// the number of lines, so it suits hosts with thousands of links.
func DiffNormalized(a, b []string) []string {
	inA := make(map[string]bool, len(a))
	for _, x := range a {
		inA[x] = true
	}
	inB := make(map[string]bool, len(b))
	for _, x := range b {
		inB[x] = true
	}
	var diff []string
	for _, x := range a {
		if !inB[x] {
			diff = append(diff, "- "+x)
		}
	}
	for _, x := range b {
		if !inA[x] {
			diff = append(diff, "+ "+x)
		}
	}
	return diff
}
