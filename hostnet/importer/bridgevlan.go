package importer

import (
	"strconv"
	"strings"

	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/vid"
)

// Membership is the VLAN membership of a port of a VLAN-aware bridge, or of the bridge
// itself, as a plan writes it (a port block's vids, pvid, untagged): VIDs are tagged
// members, PVID (0 = none) takes untagged ingress and egresses untagged, Untagged are
// further members that egress untagged.
type Membership struct {
	VIDs     vid.Set
	PVID     int
	Untagged vid.Set
	Origin   Origin
}

// ifupdownVLANs is what an ifupdown2 stanza writes about bridge VLANs. On a bridge stanza
// bridge-vids and bridge-pvid are the defaults of its ports; on a port stanza they are the
// port's own, and bridge-access N makes it an access port (VLAN N only, PVID, untagged).
type ifupdownVLANs struct {
	vids       *vid.Set
	pvid       *int
	access     *int
	noUntagged bool   // bridge-allow-untagged no: no PVID
	at         Origin // the first of them
}

// ifupdownVLANOption reads bridge-vids (bridge-trunk), bridge-pvid, bridge-access and
// bridge-allow-untagged; it reports whether key was one of them.
func ifupdownVLANOption(d *Doc, i *Iface, key string, args []string, at Origin) bool {
	v := i.ifVLANs
	if v == nil {
		v = &ifupdownVLANs{}
	}
	val := strings.Join(args, " ")
	switch key {
	case "bridge-vids", "bridge-trunk":
		// ifupdown2 splits on blanks and commas: "2000 2200-3000", "10,20".
		var s vid.Set
		for _, item := range strings.FieldsFunc(val, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
			rs, err := vid.ParseItem(item)
			if err != nil {
				d.errorf(at, "%s: %s: %v", i.Name, key, err)
				return true
			}
			for _, r := range rs {
				s.AddRange(r.Lo, r.Hi)
			}
		}
		v.vids = &s
	case "bridge-pvid", "bridge-access":
		n, err := strconv.Atoi(val)
		if err != nil || !vid.Valid(n) {
			d.errorf(at, "%s: %s %q is not a VLAN id 1..4094", i.Name, key, val)
			return true
		}
		if key == "bridge-pvid" {
			v.pvid = &n
		} else {
			v.access = &n
		}
	case "bridge-allow-untagged":
		b := boolWord(d, i, key, val, at)
		if b == nil {
			return true
		}
		v.noUntagged = !*b
	default:
		return false
	}
	if v.at == (Origin{}) {
		v.at = at
	}
	i.ifVLANs = v
	return true
}

// resolveIfupdownVLANs gives the ports of every VLAN-aware bridge their membership as
// ifupdown2 applies it (_apply_bridge_vlan_aware_port_settings_all): bridge-access N is
// VLAN N as PVID, untagged; otherwise the port's bridge-vids, else the bridge's, and the
// port's bridge-pvid, else the bridge's, else 1 (none with bridge-allow-untagged no).
// VLAN settings on a bridge that does not filter VLANs, or on an interface that is no
// bridge's port, are reported.
func (d *Doc) resolveIfupdownVLANs() {
	used := map[*Iface]bool{}
	for _, br := range d.Ifaces {
		if br.Kind != Bridge {
			continue
		}
		def := br.ifVLANs
		aware := br.VLANFiltering != nil && *br.VLANFiltering
		if !aware {
			if def != nil {
				d.warnf(def.at, "%s: bridge VLAN settings on a bridge without bridge-vlan-aware yes: not carried over (the kernel ignores them)", br.Name)
			}
			continue
		}
		used[br] = true
		for _, pn := range br.Ports {
			p := d.byName[pn]
			if p == nil {
				continue
			}
			own := p.ifVLANs
			if own != nil {
				used[p] = true
			}
			if own == nil && (def == nil || (def.vids == nil && def.pvid == nil && !def.noUntagged)) {
				continue // left as the kernel has it: VLAN 1, PVID, untagged
			}
			m := &Membership{PVID: 1}
			if len(br.Origins) > 0 {
				m.Origin = br.Origins[0]
			}
			if def != nil {
				m.Origin = def.at
			}
			if own != nil {
				m.Origin = own.at
			}
			if own != nil && own.access != nil {
				m.PVID = *own.access
				m.VIDs.Add(*own.access)
			} else {
				switch {
				case own != nil && own.vids != nil:
					m.VIDs = *own.vids
				case def != nil && def.vids != nil:
					m.VIDs = *def.vids
				}
				switch {
				case own != nil && own.noUntagged, own == nil && def != nil && def.noUntagged:
					m.PVID = 0
				case own != nil && own.pvid != nil:
					m.PVID = *own.pvid
				case def != nil && def.pvid != nil:
					m.PVID = *def.pvid
				}
			}
			if br.PortVLANs == nil {
				br.PortVLANs = map[string]*Membership{}
			}
			br.PortVLANs[pn] = m
		}
	}
	for _, i := range d.Ifaces {
		if i.ifVLANs != nil && !used[i] && i.Kind != Bridge {
			d.warnf(i.ifVLANs.at, "%s: bridge VLAN settings on an interface that is no port of a VLAN-aware bridge: not carried over", i.Name)
		}
	}
}

// liveMembership is a kernel membership as a plan writes it: the PVID is untagged
// implicitly, so Untagged keeps only the others.
func liveMembership(v *live.BridgeVLANs, at Origin) *Membership {
	m := &Membership{VIDs: v.VIDs, PVID: v.PVID, Untagged: v.Untagged, Origin: at}
	m.Untagged.Remove(v.PVID)
	m.VIDs = m.VIDs.Minus(&m.Untagged)
	m.VIDs.Remove(v.PVID)
	return m
}

// vidList renders a set as a plan's VLAN list: single ids as numbers, runs as "lo-hi".
func vidList(s vid.Set) string {
	rs := s.Ranges()
	parts := make([]string, len(rs))
	for k, r := range rs {
		if r.Lo == r.Hi {
			parts[k] = strconv.Itoa(r.Lo)
		} else {
			parts[k] = str(r.String())
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// membershipAttrs writes m's vids, pvid and untagged, leaving out what a plan defaults to
// (pvid 1, nothing untagged besides it).
func membershipAttrs(w *blockWriter, m *Membership) {
	vids := m.VIDs
	vids.Remove(m.PVID)
	vids = vids.Minus(&m.Untagged)
	w.attr("vids", vidList(vids))
	if m.PVID != 1 {
		w.attr("pvid", strconv.Itoa(m.PVID))
	}
	if !m.Untagged.Empty() {
		w.attr("untagged", vidList(m.Untagged))
	}
}
