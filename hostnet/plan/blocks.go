package plan

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/hostnet/hostnet/hostnet/bonding"
)

// decodeInstance builds the model object of one instance and returns the value that
// references to it evaluate to (unknown when it failed, so errors do not cascade).
//
// An instance joins the plan only when decoding it added no error, so that the partial
// plan that validation sees after errors holds only whole objects whose references resolve.
func (d *decoder) decodeInstance(in *instance) cty.Value {
	diagsBefore := len(d.diags)
	d.pending = nil
	var v cty.Value
	switch in.n.typ {
	case "nic":
		v = d.decodeNIC(in)
	case "bond":
		v = d.decodeBond(in)
	case "vlan":
		v = d.decodeVLAN(in)
	case "bridge":
		v = d.decodeBridge(in)
	case "route":
		d.decodeRoute(in)
		v = cty.ObjectVal(map[string]cty.Value{"addr": cty.StringVal(in.addr)})
	case "libvirt_network":
		d.decodeNetwork(in)
		v = cty.ObjectVal(map[string]cty.Value{"addr": cty.StringVal(in.addr)})
	}
	if !in.ok || d.diags[diagsBefore:].HasErrors() {
		return cty.DynamicVal
	}
	switch o := d.pending.(type) {
	case *NIC:
		d.plan.NICs = append(d.plan.NICs, o)
	case *Bond:
		d.plan.Bonds = append(d.plan.Bonds, o)
	case *VLAN:
		d.plan.VLANs = append(d.plan.VLANs, o)
	case *Bridge:
		d.plan.Bridges = append(d.plan.Bridges, o)
	case *Route:
		d.plan.Routes = append(d.plan.Routes, o)
	case *Network:
		d.plan.Networks = append(d.plan.Networks, o)
	}
	if i, ok := d.pending.(Interface); ok {
		d.ifs[in.addr] = i
	}
	return v
}

// defaultName is the label, followed by the for_each key for expanded blocks.
func (in *instance) defaultName() string { return in.n.label + in.key }

// decodeIface reads the attributes every interface block has.
func (d *decoder) decodeIface(in *instance, kind Kind) Iface {
	ifc := Iface{Kind: kind, Name: in.defaultName()}
	if a, v, ok := d.get(in, "name"); ok {
		ifc.Name = d.toString(a, v)
	}
	if a, v, ok := d.get(in, "mtu"); ok {
		n, _ := d.toUint(a, v, 68, 65535)
		ifc.MTU = int(n)
	}
	if a, v, ok := d.get(in, "mac"); ok {
		ifc.MAC, _ = d.toMAC(a, v)
	}
	if a, v, ok := d.get(in, "addresses"); ok {
		if ss, ok := d.toStrings(a, v); ok {
			for _, s := range ss {
				if p, ok := d.toPrefix(a, s); ok {
					ifc.Addresses = append(ifc.Addresses, p)
				}
			}
		}
	}
	if a, v, ok := d.get(in, "gateway"); ok {
		ifc.Gateway, _ = d.toAddr(a, d.toString(a, v))
	}
	return ifc
}

// resolve maps referenced addresses to interfaces, checking their kinds.
func (d *decoder) resolve(in *instance, a *hcl.Attribute, addrs []string, kinds ...Kind) []Interface {
	var out []Interface
	for _, addr := range addrs {
		i, ok := d.ifs[addr]
		if !ok {
			// The target failed to decode and was reported there, or is not an interface.
			if _, isIface := d.nodes[addrType(addr)]; !isIface {
				d.errorf(a.Expr.Range().Ptr(), "Invalid reference", "%s must refer to %s, not %s.", a.Name, kindList(kinds), addr)
			}
			in.ok = false
			continue
		}
		if !hasKind(kinds, i.Common().Kind) {
			d.errorf(a.Expr.Range().Ptr(), "Invalid reference", "%s must refer to %s; %s is a %s.", a.Name, kindList(kinds), addr, i.Common().Kind)
			in.ok = false
			continue
		}
		out = append(out, i)
	}
	return out
}

// addrType strips the for_each key: `vlan.tenant["1"]` -> `vlan.tenant`, and keeps only
// interface types, so that a reference to a route or network is reported.
func addrType(addr string) string {
	for i := 0; i < len(addr); i++ {
		if addr[i] == '[' {
			addr = addr[:i]
			break
		}
	}
	for _, t := range []string{"nic.", "bond.", "vlan.", "bridge."} {
		if len(addr) > len(t) && addr[:len(t)] == t {
			return addr
		}
	}
	return ""
}

func hasKind(kinds []Kind, k Kind) bool {
	for _, x := range kinds {
		if x == k {
			return true
		}
	}
	return false
}

func kindList(kinds []Kind) string {
	s := ""
	for i, k := range kinds {
		switch {
		case i == 0:
		case i == len(kinds)-1:
			s += " or "
		default:
			s += ", "
		}
		s += "a " + string(k)
	}
	return s
}

func (d *decoder) decodeNIC(in *instance) cty.Value {
	d.required(in, "mac", `"52:54:00:12:34:56" (NICs are found by MAC address)`)
	n := &NIC{Iface: d.decodeIface(in, KindNIC)}
	_, _, n.Rename = d.get(in, "name")
	n.Source = in.src
	d.pending = n
	mac := ""
	if n.MAC != nil {
		mac = n.MAC.String()
	}
	return refValue(in.addr, "nic", n.Name, map[string]cty.Value{"mac": cty.StringVal(mac)})
}

func (d *decoder) decodeBond(in *instance) cty.Value {
	d.required(in, "slaves", "[nic.<label>, ...]")
	b := &Bond{Iface: d.decodeIface(in, KindBond)}
	if a, v, ok := d.get(in, "slaves"); ok {
		if addrs, ok := d.refAddrs(a, v, true, "nic blocks"); ok {
			for _, i := range d.resolve(in, a, addrs, KindNIC) {
				b.Slaves = append(b.Slaves, Slave{NIC: i.(*NIC)})
			}
		}
	}
	d.decodeBondOptions(in, b)
	d.decodeSlaveBlocks(in, b)
	b.Source = in.src
	d.pending = b
	return refValue(in.addr, "bond", b.Name, nil)
}

// decodeBondOptions reads every bonding option the block sets, in the kernel's spellings.
func (d *decoder) decodeBondOptions(in *instance, b *Bond) {
	setBy := map[bonding.ID]string{}
	for _, name := range bonding.Names() {
		a, v, ok := d.get(in, name)
		if !ok {
			continue
		}
		opt, _ := bonding.Lookup(name)
		if prev, dup := setBy[opt.ID]; dup {
			d.errorf(a.NameRange.Ptr(), "Option set twice", "%s and %s are the same option; keep one.", prev, name)
			in.ok = false
			continue
		}
		setBy[opt.ID] = name
		val, ok := d.bondValue(in, b, a, v, opt)
		if !ok {
			in.ok = false
			continue
		}
		b.Options.Set(opt.ID, val)
		// Diagnostics about an option point at the canonical name's range too.
		in.src.Attrs[opt.Name] = a.Expr.Range()
	}
}

func (d *decoder) bondValue(in *instance, b *Bond, a *hcl.Attribute, v cty.Value, opt *bonding.Option) (bonding.Value, bool) {
	switch opt.Kind {
	case bonding.KindEnum, bonding.KindBool:
		var s string
		switch v.Type() {
		case cty.Bool:
			if len(opt.Enum) == 2 && opt.Enum[1] == "on" || opt.Kind == bonding.KindBool {
				s = "0"
				if v.True() {
					s = "1"
				}
			}
		case cty.String, cty.Number:
			s = d.toString(a, v)
		}
		n, err := opt.ParseEnum(s)
		if err != nil {
			d.errorf(a.Expr.Range().Ptr(), "Invalid value for "+opt.Name, "%s.", err)
			return bonding.Value{}, false
		}
		return bonding.Value{Num: n}, true
	case bonding.KindUint:
		n, ok := d.toUint(a, v, opt.Min, opt.Max)
		return bonding.Value{Num: n}, ok
	case bonding.KindIPv4List, bonding.KindIPv6List:
		ss, ok := d.toStrings(a, v)
		if !ok {
			return bonding.Value{}, false
		}
		var addrs []netip.Addr
		for _, s := range ss {
			if emptyElement(s) {
				d.errorf(a.Expr.Range().Ptr(), "Empty list element", "%s has an empty element (%q); the kernel's own parser would stop there. Remove it.", a.Name, s)
				return bonding.Value{}, false
			}
			// modprobe writes arp_ip_target=a,b: accept that spelling too.
			for _, part := range splitComma(s) {
				ip, ok := d.toAddr(a, part)
				if !ok {
					return bonding.Value{}, false
				}
				addrs = append(addrs, ip)
			}
		}
		return bonding.Value{Addrs: addrs}, true
	case bonding.KindMAC:
		mac, ok := d.toMAC(a, v)
		return bonding.Value{MAC: mac}, ok
	case bonding.KindIface:
		addrs, ok := d.refAddrs(a, v, false, "one of the bond's slaves (a nic block)")
		if !ok {
			return bonding.Value{}, false
		}
		ifs := d.resolve(in, a, addrs, KindNIC)
		if len(ifs) != 1 {
			return bonding.Value{}, false
		}
		nic := ifs[0].(*NIC)
		if opt.ID == bonding.OptPrimary {
			b.Primary = nic
		} else {
			b.ActiveSlave = nic
		}
		return bonding.Value{Iface: nic.Name}, true
	}
	return bonding.Value{}, false
}

// emptyElement reports an empty element of a list written as a string: "", "a,,b", "a,".
func emptyElement(s string) bool {
	for _, part := range strings.Split(s, ",") {
		if strings.TrimSpace(part) == "" {
			return true
		}
	}
	return false
}

func splitComma(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// decodeSlaveBlocks reads `slave { nic = nic.x  queue_id = 1  prio = 10 }` blocks.
func (d *decoder) decodeSlaveBlocks(in *instance, b *Bond) {
	for _, c := range in.n.nested["slave"] {
		a := c.Attributes["nic"]
		if a == nil {
			continue // reported by the schema
		}
		in.src.Blocks["slave"] = c.MissingItemRange
		v := d.eval(a.Expr, in.ctx)
		if !v.IsWhollyKnown() {
			in.ok = false
			continue
		}
		addrs, ok := d.refAddrs(a, v, false, "one of the bond's slaves (a nic block)")
		if !ok {
			in.ok = false
			continue
		}
		ifs := d.resolve(in, a, addrs, KindNIC)
		if len(ifs) != 1 {
			continue
		}
		var slave *Slave
		for i := range b.Slaves {
			if b.Slaves[i].NIC == ifs[0] {
				slave = &b.Slaves[i]
			}
		}
		if slave == nil {
			d.errorf(a.Expr.Range().Ptr(), "Not a slave of this bond", "%s is not in slaves of %s; slave blocks set options of listed slaves.", addrs[0], in.addr)
			in.ok = false
			continue
		}
		if slave.Attrs == nil {
			slave.Attrs = map[string]hcl.Range{}
		}
		for _, name := range []string{"queue_id", "prio"} {
			if x := c.Attributes[name]; x != nil {
				slave.Attrs[name] = x.Expr.Range()
			}
		}
		if qa := c.Attributes["queue_id"]; qa != nil {
			if n, ok := d.toUint(qa, d.eval(qa.Expr, in.ctx), 0, 65535); ok {
				q := uint16(n)
				slave.QueueID = &q
			}
		}
		if pa := c.Attributes["prio"]; pa != nil {
			v := d.eval(pa.Expr, in.ctx)
			if v.IsWhollyKnown() && v.Type() == cty.Number {
				n, acc := v.AsBigFloat().Int64()
				if acc != 0 || n < -1<<31 || n > 1<<31-1 {
					d.errorf(pa.Expr.Range().Ptr(), "Value out of range", "prio must be a whole number from -2147483648 to 2147483647.")
				} else {
					p := int32(n)
					slave.Prio = &p
				}
			} else if v.IsWhollyKnown() {
				d.typeErr(pa, "a number", v)
			}
		}
	}
}

func (d *decoder) decodeVLAN(in *instance) cty.Value {
	d.required(in, "link", "bond.<label> (the interface the VLAN rides on)")
	d.required(in, "id", "a VLAN id from 1 to 4094")
	v := &VLAN{Iface: d.decodeIface(in, KindVLAN), Protocol: "802.1Q"}
	if a, val, ok := d.get(in, "link"); ok {
		if addrs, ok := d.refAddrs(a, val, false, "a nic, bond or bridge block"); ok {
			if ifs := d.resolve(in, a, addrs, KindNIC, KindBond, KindBridge, KindVLAN); len(ifs) == 1 {
				v.Link = ifs[0]
			}
		}
	}
	if a, val, ok := d.get(in, "id"); ok {
		n, _ := d.toUint(a, val, 0, 65535)
		v.ID = int(n)
	}
	if a, val, ok := d.get(in, "protocol"); ok {
		switch p := d.toString(a, val); p {
		case "802.1Q", "802.1q":
			v.Protocol = "802.1Q"
		case "802.1ad", "802.1AD":
			v.Protocol = "802.1ad"
		default:
			d.errorf(a.Expr.Range().Ptr(), "Invalid VLAN protocol", "protocol must be \"802.1Q\" or \"802.1ad\", not %q.", p)
		}
	}
	if _, _, named := d.get(in, "name"); !named && v.Link != nil {
		// The kernel's own convention, as `ip link add link bond0 name bond0.100`.
		v.Name = fmt.Sprintf("%s.%d", v.Link.Common().Name, v.ID)
	}
	if v.Link == nil {
		in.ok = false
	}
	v.Source = in.src
	d.pending = v
	return refValue(in.addr, "vlan", v.Name, map[string]cty.Value{"id": cty.NumberIntVal(int64(v.ID))})
}

func (d *decoder) decodeBridge(in *instance) cty.Value {
	br := &Bridge{Iface: d.decodeIface(in, KindBridge)}
	if a, v, ok := d.get(in, "ports"); ok {
		if addrs, ok := d.refAddrs(a, v, true, "nic, bond or vlan blocks"); ok {
			br.Ports = d.resolve(in, a, addrs, KindNIC, KindBond, KindVLAN)
		}
	}
	if a, v, ok := d.get(in, "stp"); ok {
		br.STP = d.toBool(a, v)
	}
	optInt := func(name string, lo, hi uint64) *int {
		if a, v, ok := d.get(in, name); ok {
			if n, ok := d.toUint(a, v, lo, hi); ok {
				x := int(n)
				return &x
			}
		}
		return nil
	}
	br.ForwardDelay = optInt("forward_delay", 0, 30)
	br.AgeingTime = optInt("ageing_time", 0, 1000000)
	optBool := func(name string) *bool {
		if a, v, ok := d.get(in, name); ok {
			b := d.toBool(a, v)
			return &b
		}
		return nil
	}
	br.VLANFiltering = optBool("vlan_filtering")
	br.MulticastSnooping = optBool("multicast_snooping")
	br.ARPNotify = optBool("arp_notify")
	br.VLANs = d.decodeVLANs(in, in.n.content.Attributes, in.n.block.DefRange, in.src.Attrs)
	d.decodePortBlocks(in, br)
	d.decodeFDBBlocks(in, br)
	br.Source = in.src
	d.pending = br
	return refValue(in.addr, "bridge", br.Name, nil)
}

// nestedRef evaluates a reference attribute of a nested block to one interface of kinds.
func (d *decoder) nestedRef(in *instance, a *hcl.Attribute, want string, kinds ...Kind) Interface {
	v := d.eval(a.Expr, in.ctx)
	if !v.IsWhollyKnown() {
		in.ok = false
		return nil
	}
	addrs, ok := d.refAddrs(a, v, false, want)
	if !ok {
		in.ok = false
		return nil
	}
	ifs := d.resolve(in, a, addrs, kinds...)
	if len(ifs) != 1 {
		return nil
	}
	return ifs[0]
}

// nestedBool reads an optional bool attribute of a nested block (nil when absent or null).
func (d *decoder) nestedBool(in *instance, c *hcl.BodyContent, name string, attrs map[string]hcl.Range) *bool {
	a := c.Attributes[name]
	if a == nil {
		return nil
	}
	v := d.eval(a.Expr, in.ctx)
	if !v.IsWhollyKnown() {
		in.ok = false
		return nil
	}
	if v.IsNull() {
		return nil
	}
	attrs[name] = a.Expr.Range()
	b := d.toBool(a, v)
	return &b
}

// decodePortBlocks reads `port { link = bond.bond0  learning = false ... }` blocks: the
// flags of ports listed in ports, one block per port.
func (d *decoder) decodePortBlocks(in *instance, br *Bridge) {
	for _, c := range in.n.nested["port"] {
		a := c.Attributes["link"]
		if a == nil {
			continue // reported by the schema
		}
		in.src.Blocks["port"] = c.MissingItemRange
		f := &PortFlags{Range: c.MissingItemRange, Attrs: map[string]hcl.Range{"link": a.Expr.Range()}}
		f.Link = d.nestedRef(in, a, "one of the bridge's ports (a nic, bond or vlan block)", KindNIC, KindBond, KindVLAN)
		if f.Link == nil {
			continue
		}
		listed := false
		for _, p := range br.Ports {
			listed = listed || p == f.Link
		}
		if !listed {
			d.errorf(a.Expr.Range().Ptr(), "Not a port of this bridge", "%s is not in ports of %s; a port block sets the flags of a listed port. Add it to ports, or point link at one of them.",
				f.Link.Common().Addr, in.addr)
			in.ok = false
			continue
		}
		if prev := br.PortFlagsOf(f.Link); prev != nil {
			d.errorf(a.Expr.Range().Ptr(), "Port set twice", "%s already has a port block in %s, at %s; merge the two.",
				f.Link.Common().Addr, in.addr, prev.Range)
			in.ok = false
			continue
		}
		f.Learning = d.nestedBool(in, c, "learning", f.Attrs)
		f.UnicastFlood = d.nestedBool(in, c, "unicast_flood", f.Attrs)
		f.MulticastFlood = d.nestedBool(in, c, "multicast_flood", f.Attrs)
		f.BroadcastFlood = d.nestedBool(in, c, "broadcast_flood", f.Attrs)
		f.VLANs = d.decodeVLANs(in, c.Attributes, c.MissingItemRange, f.Attrs)
		br.PortFlags = append(br.PortFlags, f)
	}
}

// decodeFDBBlocks reads `fdb { mac = "..."  port = bond.bond0  vlan = 100  sticky = true }`
// blocks. Whether port is a port of the bridge, duplicates and vlan against vlan_filtering
// are validation rules.
func (d *decoder) decodeFDBBlocks(in *instance, br *Bridge) {
	for _, c := range in.n.nested["fdb"] {
		ma, pa := c.Attributes["mac"], c.Attributes["port"]
		if ma == nil || pa == nil {
			continue // reported by the schema
		}
		in.src.Blocks["fdb"] = c.MissingItemRange
		e := &FDBEntry{Sticky: true, Range: c.MissingItemRange, Attrs: map[string]hcl.Range{"mac": ma.Expr.Range(), "port": pa.Expr.Range()}}
		mv := d.eval(ma.Expr, in.ctx)
		if !mv.IsWhollyKnown() || mv.IsNull() {
			in.ok = false
			continue
		}
		mac, ok := d.toMAC(ma, mv)
		if !ok {
			in.ok = false
			continue
		}
		e.MAC = mac
		e.Port = d.nestedRef(in, pa, "a port of the bridge (a nic, bond or vlan block)", KindNIC, KindBond, KindVLAN)
		if e.Port == nil {
			continue
		}
		if a := c.Attributes["vlan"]; a != nil {
			v := d.eval(a.Expr, in.ctx)
			if !v.IsWhollyKnown() {
				in.ok = false
				continue
			}
			if !v.IsNull() {
				n, ok := d.toUint(a, v, 1, 4094)
				if !ok {
					in.ok = false
					continue
				}
				e.VLAN = int(n)
				e.Attrs["vlan"] = a.Expr.Range()
			}
		}
		if s := d.nestedBool(in, c, "sticky", e.Attrs); s != nil {
			e.Sticky = *s
		}
		br.FDB = append(br.FDB, e)
	}
}

func (d *decoder) decodeRoute(in *instance) {
	d.required(in, "to", `"203.0.113.0/24" or "default"`)
	r := &Route{Name: in.n.label}
	if a, v, ok := d.get(in, "to"); ok {
		switch s := d.toString(a, v); s {
		case "default":
			r.To = netip.MustParsePrefix("0.0.0.0/0")
		case "default6", "::/0":
			r.To = netip.MustParsePrefix("::/0")
		default:
			if p, ok := d.toPrefix(a, s); ok {
				r.To = p.Masked()
				if p != r.To {
					r.Written = p
				}
			}
		}
	}
	if a, v, ok := d.get(in, "via"); ok {
		r.Via, _ = d.toAddr(a, d.toString(a, v))
	}
	if a, v, ok := d.get(in, "dev"); ok {
		if addrs, ok := d.refAddrs(a, v, false, "an interface block"); ok {
			if ifs := d.resolve(in, a, addrs, KindNIC, KindBond, KindVLAN, KindBridge); len(ifs) == 1 {
				r.Dev = ifs[0]
			}
		}
	}
	if a, v, ok := d.get(in, "metric"); ok {
		n, _ := d.toUint(a, v, 0, 1<<32-1)
		r.Metric = int(n)
	}
	if a, v, ok := d.get(in, "table"); ok {
		n, _ := d.toUint(a, v, 0, 1<<32-1)
		r.Table = int(n)
	}
	r.Source = in.src
	d.pending = r
}

func (d *decoder) decodeNetwork(in *instance) {
	d.required(in, "bridge", "bridge.<label> (the bridge guests attach to)")
	n := &Network{Name: in.defaultName(), Autostart: true}
	if a, v, ok := d.get(in, "name"); ok {
		n.Name = d.toString(a, v)
	}
	if a, v, ok := d.get(in, "bridge"); ok {
		if addrs, ok := d.refAddrs(a, v, false, "a bridge block"); ok {
			if ifs := d.resolve(in, a, addrs, KindBridge); len(ifs) == 1 {
				n.Bridge = ifs[0].(*Bridge)
			}
		}
	}
	if a, v, ok := d.get(in, "autostart"); ok {
		n.Autostart = d.toBool(a, v)
	}
	if a, v, ok := d.get(in, "mtu"); ok {
		m, _ := d.toUint(a, v, 68, 65535)
		n.MTU = int(m)
	}
	n.Bandwidth = d.bandwidth(in, in.n.content.Attributes)
	for _, c := range in.n.nested["portgroup"] {
		pg := &PortGroup{Range: c.MissingItemRange}
		if a := c.Attributes["name"]; a != nil {
			pg.Name = d.toString(a, d.eval(a.Expr, in.ctx))
		}
		if a := c.Attributes["default"]; a != nil {
			pg.Default = d.toBool(a, d.eval(a.Expr, in.ctx))
		}
		pg.Bandwidth = d.bandwidth(in, c.Attributes)
		pg.Attrs = map[string]hcl.Range{}
		if a := c.Attributes["vlan"]; a != nil {
			if v := d.eval(a.Expr, in.ctx); v.IsWhollyKnown() && !v.IsNull() {
				if id, ok := d.toUint(a, v, 1, 4094); ok {
					pg.VLAN = int(id)
					pg.Attrs["vlan"] = a.Expr.Range()
				} else {
					in.ok = false
				}
			}
		}
		if a := c.Attributes["trunk"]; a != nil {
			if v := d.eval(a.Expr, in.ctx); v.IsWhollyKnown() && !v.IsNull() {
				if set, ok := d.toVIDs(a, v); ok {
					pg.Trunk = set
					pg.Attrs["trunk"] = a.Expr.Range()
				} else {
					in.ok = false
				}
			}
		}
		n.PortGroups = append(n.PortGroups, pg)
	}
	n.Source = in.src
	d.pending = n
}

// bandwidth reads the inbound_* and outbound_* attributes; nil when none is set.
func (d *decoder) bandwidth(in *instance, attrs hcl.Attributes) *Bandwidth {
	var bw Bandwidth
	for _, dir := range []struct {
		prefix string
		rate   **Rate
	}{{"inbound_", &bw.Inbound}, {"outbound_", &bw.Outbound}} {
		for _, f := range []struct {
			name string
			lo   uint64
		}{{"average", 1}, {"peak", 1}, {"burst", 1}} {
			a := attrs[dir.prefix+f.name]
			if a == nil {
				continue
			}
			v := d.eval(a.Expr, in.ctx)
			if !v.IsWhollyKnown() || v.IsNull() {
				continue
			}
			n, ok := d.toUint(a, v, f.lo, 1<<32-1)
			if !ok {
				continue
			}
			if *dir.rate == nil {
				*dir.rate = &Rate{}
			}
			switch f.name {
			case "average":
				(*dir.rate).Average = n
			case "peak":
				(*dir.rate).Peak = n
			case "burst":
				(*dir.rate).Burst = n
			}
		}
		if r := *dir.rate; r != nil && r.Average == 0 {
			a := attrs[dir.prefix+"peak"]
			if a == nil {
				a = attrs[dir.prefix+"burst"]
			}
			d.errorf(a.Expr.Range().Ptr(), "Missing "+dir.prefix+"average", "libvirt needs %saverage (KiB/s) whenever %speak or %sburst is set.", dir.prefix, dir.prefix, dir.prefix)
		}
	}
	if bw.Inbound == nil && bw.Outbound == nil {
		return nil
	}
	return &bw
}
