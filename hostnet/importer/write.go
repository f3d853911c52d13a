package importer

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/hostnet/hostnet/hostnet/bonding"
)

// HCL renders d as a plan: a header naming the sources, then NICs, bonds, VLANs, bridges
// and routes, each block preceded by a comment saying where it came from. NICs without a
// known MAC get a variable (mac_<label>) for the operator to set.
func (d *Doc) HCL() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Imported by `hostnet import %s` from:\n", d.Format)
	for _, s := range d.Sources {
		fmt.Fprintf(&b, "#   %s\n", oneLine(s))
	}
	if n := len(d.Diags); n > 0 {
		fmt.Fprintf(&b, "# %d setting(s) could not be carried over: listed at the end of this file.\n", n)
	}
	if d.switchBlock != "" {
		b.WriteString("\n" + d.switchBlock)
	}
	labels := d.labels()
	ref := func(name string) string {
		if i := d.byName[name]; i != nil {
			return string(i.Kind) + "." + labels[i]
		}
		return ""
	}
	byKind := func(k Kind) []*Iface {
		var out []*Iface
		for _, i := range d.Ifaces {
			if i.Kind == k {
				out = append(out, i)
			}
		}
		return out
	}
	for _, i := range byKind(NIC) {
		if i.MAC == "" {
			fmt.Fprintf(&b, "\nvariable %s {\n  type        = string\n  description = %s\n}\n", str("mac_"+labels[i]),
				str("permanent MAC address of "+i.Name+" (the import could not find it)"))
		}
	}
	for _, k := range []Kind{NIC, Bond, VLAN, Bridge} {
		for _, i := range byKind(k) {
			b.WriteString("\n")
			writeOrigins(&b, i.Origins)
			fmt.Fprintf(&b, "%s %s {\n", k, str(labels[i]))
			w := &blockWriter{b: &b}
			// Without `name` a NIC keeps its kernel name, a VLAN is named <link>.<id> and the
			// others take the label.
			if (k == VLAN && i.Name != fmt.Sprintf("%s.%d", i.Link, i.ID)) || (k != VLAN && k != NIC && labels[i] != i.Name) {
				w.attr("name", str(i.Name))
			}
			switch k {
			case NIC:
				if i.MAC != "" {
					w.attr("mac", str(i.MAC))
				} else {
					w.attr("mac", "var.mac_"+labels[i])
				}
			case Bond:
				w.attr("slaves", refList(i.Slaves, ref))
				for _, o := range i.BondOpts {
					w.attr(o.Name, bondValue(o, ref))
				}
			case VLAN:
				if r := ref(i.Link); r != "" { // finish reported a missing one
					w.attr("link", r)
				}
				w.attr("id", strconv.Itoa(i.ID))
				if i.Protocol != "" && i.Protocol != "802.1Q" {
					w.attr("protocol", str(i.Protocol))
				}
			case Bridge:
				w.attr("ports", refList(i.Ports, ref))
				w.boolAttr("stp", i.STP)
				w.intAttr("forward_delay", i.ForwardDelay)
				w.intAttr("ageing_time", i.AgeingTime)
				w.boolAttr("vlan_filtering", i.VLANFiltering)
				w.boolAttr("multicast_snooping", i.McastSnooping)
				if i.SelfVLANs != nil {
					membershipAttrs(w, i.SelfVLANs)
				}
			}
			if k != NIC && i.MAC != "" {
				w.attr("mac", str(i.MAC))
			}
			if i.MTU > 0 {
				w.attr("mtu", strconv.Itoa(i.MTU))
			}
			if len(i.Addrs) > 0 {
				parts := make([]string, len(i.Addrs))
				for k, a := range i.Addrs {
					parts[k] = str(a)
				}
				w.attr("addresses", "["+strings.Join(parts, ", ")+"]")
			}
			if i.Gateway != "" {
				w.attr("gateway", str(i.Gateway))
			}
			w.flush()
			if k == Bridge {
				writePortBlocks(&b, i, ref)
			}
			b.WriteString("}\n")
		}
	}
	used := map[string]bool{}
	for k, r := range d.Routes {
		label := sanitize("to_" + r.To)
		for used[label] {
			label = fmt.Sprintf("%s_%d", sanitize("to_"+r.To), k)
		}
		used[label] = true
		b.WriteString("\n")
		writeOrigins(&b, []Origin{r.Origin})
		fmt.Fprintf(&b, "route %s {\n", str(label))
		w := &blockWriter{b: &b}
		w.attr("to", str(r.To))
		if r.Via != "" {
			w.attr("via", str(r.Via))
		}
		if r.Dev != "" && ref(r.Dev) != "" {
			w.attr("dev", ref(r.Dev))
		}
		if r.Metric != 0 {
			w.attr("metric", strconv.Itoa(r.Metric))
		}
		if r.Table != 0 && r.Table != 254 {
			w.attr("table", strconv.Itoa(r.Table))
		}
		w.flush()
		b.WriteString("}\n")
	}
	netLabels := map[string]bool{}
	for _, n := range d.Networks {
		label := sanitize(n.Name)
		for k := 2; netLabels[label]; k++ {
			label = fmt.Sprintf("%s_%d", sanitize(n.Name), k)
		}
		netLabels[label] = true
		fmt.Fprintf(&b, "\n# from libvirt network %s\nlibvirt_network %s {\n", oneLine(n.Name), str(label))
		w := &blockWriter{b: &b}
		if label != n.Name {
			w.attr("name", str(n.Name))
		}
		w.attr("bridge", ref(n.Bridge))
		w.attr("autostart", strconv.FormatBool(n.Autostart))
		if n.MTU > 0 {
			w.attr("mtu", strconv.Itoa(n.MTU))
		}
		w.flush()
		b.WriteString("}\n")
	}
	if len(d.Diags) > 0 {
		b.WriteString("\n# Not carried over (the import's diagnostics):\n")
		for _, x := range d.Diags {
			fmt.Fprintf(&b, "#   %s\n", oneLine(x.String()))
		}
		if d.dropped > 0 {
			fmt.Fprintf(&b, "#   ... and %d more\n", d.dropped)
		}
	}
	return b.Bytes()
}

// writePortBlocks writes a port block per port of a VLAN-aware bridge with its VLANs, in
// the order of the bridge's ports.
func writePortBlocks(b *bytes.Buffer, i *Iface, ref func(string) string) {
	for _, p := range i.Ports {
		m := i.PortVLANs[p]
		if m == nil || ref(p) == "" {
			continue
		}
		fmt.Fprintf(b, "  # from %s\n  port {\n", oneLine(m.Origin.String()))
		var w blockWriter
		w.attr("link", ref(p))
		membershipAttrs(&w, m)
		var inner bytes.Buffer
		w.b = &inner
		w.flush()
		for _, ln := range strings.SplitAfter(inner.String(), "\n") {
			if ln != "" {
				b.WriteString("  " + ln)
			}
		}
		b.WriteString("  }\n")
	}
}

func writeOrigins(b *bytes.Buffer, os []Origin) {
	if len(os) == 0 {
		return
	}
	parts := make([]string, 0, len(os))
	for _, o := range os {
		parts = append(parts, oneLine(o.String()))
	}
	fmt.Fprintf(b, "# from %s\n", strings.Join(parts, ", "))
}

// oneLine keeps a file name from ending the comment it is written in.
func oneLine(s string) string { return strings.NewReplacer("\n", "?", "\r", "?").Replace(s) }

type blockWriter struct {
	b     *bytes.Buffer
	lines [][2]string
}

func (w *blockWriter) attr(name, expr string) { w.lines = append(w.lines, [2]string{name, expr}) }

func (w *blockWriter) boolAttr(name string, v *bool) {
	if v != nil {
		w.attr(name, strconv.FormatBool(*v))
	}
}

func (w *blockWriter) intAttr(name string, v *int) {
	if v != nil {
		w.attr(name, strconv.Itoa(*v))
	}
}

// flush writes the attributes with their '=' aligned, as hclwrite.Format (terraform fmt)
// aligns consecutive attributes; formatting the whole plan with it took most of an import.
func (w *blockWriter) flush() {
	width := 0
	for _, l := range w.lines {
		width = max(width, len(l[0]))
	}
	for _, l := range w.lines {
		fmt.Fprintf(w.b, "  %-*s = %s\n", width, l[0], l[1])
	}
}

// str is s as an HCL string literal (quotes, escapes, and ${ / %{ made literal).
func str(s string) string {
	return string(hclwrite.TokensForValue(cty.StringVal(s)).Bytes())
}

func refList(names []string, ref func(string) string) string {
	parts := make([]string, 0, len(names))
	for _, n := range names {
		if r := ref(n); r != "" {
			parts = append(parts, r)
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func bondValue(o BondOpt, ref func(string) string) string {
	switch bondOptKind(o.Name) {
	case bonding.KindIPv4List, bonding.KindIPv6List:
		parts := make([]string, len(o.List))
		for k, a := range o.List {
			parts[k] = str(a)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case bonding.KindIface:
		if r := ref(o.Value); r != "" {
			return r
		}
		return str(o.Value)
	case bonding.KindUint:
		return o.Value
	}
	if _, err := strconv.ParseUint(o.Value, 10, 64); err == nil {
		return o.Value
	}
	return str(o.Value)
}

// labels gives every interface a block label: its name, made an HCL identifier (bond0.100
// becomes bond0_100), unique within its kind.
func (d *Doc) labels() map[*Iface]string {
	out := map[*Iface]string{}
	used := map[string]bool{}
	for _, i := range d.Ifaces {
		base := sanitize(i.Name)
		l := base
		for n := 2; used[string(i.Kind)+"."+l]; n++ {
			l = fmt.Sprintf("%s_%d", base, n)
		}
		used[string(i.Kind)+"."+l] = true
		out[i] = l
	}
	return out
}

// sanitize makes s an HCL identifier: letters, digits, '_' and '-', not starting with a digit.
func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	out := b.String()
	if out == "" || (out[0] >= '0' && out[0] <= '9') || out[0] == '-' {
		out = "_" + out
	}
	return out
}

// inferSwitch writes the switch block the imported bonds imply: a host configured with an
// 802.3ad bond has an LACP partner, and one with a bridged balance-rr, balance-xor or
// broadcast bond (which only works behind grouped ports) a static LAG. Validation needs it
// to judge bridged bonds; the comment says it was inferred.
func (d *Doc) inferSwitch() string {
	modeOpt, _ := bonding.Lookup("mode")
	bridged := map[string]bool{}
	for _, i := range d.Ifaces {
		for _, p := range i.Ports {
			bridged[p] = true
			if x := d.byName[p]; x != nil && x.Kind == VLAN {
				bridged[x.Link] = true
			}
		}
	}
	lacp, static := false, false
	for _, i := range d.Ifaces {
		if i.Kind != Bond {
			continue
		}
		for _, o := range i.BondOpts {
			if o.Name != "mode" {
				continue
			}
			m, err := modeOpt.ParseEnum(o.Value)
			if err != nil {
				continue
			}
			switch bonding.Mode(m) {
			case bonding.LACP:
				lacp = true
			case bonding.BalanceRR, bonding.BalanceXOR, bonding.Broadcast:
				static = static || bridged[i.Name]
			}
		}
	}
	switch {
	case lacp && static:
		d.warnf(Origin{}, "both an 802.3ad bond and a bridged static-LAG bond: no switch block inferred; write the one that is true")
		return ""
	case lacp:
		return "# inferred: an 802.3ad bond is configured, so the switch ports answer LACP\nswitch {\n  lacp = true\n}\n"
	case static:
		return "# inferred: a bridged balance-rr/xor/broadcast bond only works on grouped ports (static LAG)\nswitch {\n  static_lag = true\n}\n"
	}
	return ""
}
