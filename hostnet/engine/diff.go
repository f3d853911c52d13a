package engine

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/hostnet/hostnet/hostnet/bonding"
	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/plan"
)

// createTakesAlias tells whether RTM_NEWLINK honours IFLA_IFALIAS when it creates a link.
// Linux (rtnl_create_link) ignores it, so the mark goes in a second request, sent in the
// same batch.
const createTakesAlias = false

// NeedsBondDown is the AttrChange.Needs of options the kernel only changes on a bond that is
// down and has no slaves.
const NeedsBondDown = "bond down and slaves released"

// NeedsRecreate is the AttrChange.Needs of attributes that cannot change on a live link.
const NeedsRecreate = "link deleted and created again"

// Mark is the ownership mark for the object at plan address addr.
func Mark(addr string) string { return live.MarkFor(addr) }

// Addr is the plan address of an interface.
func Addr(i plan.Interface) string {
	c := i.Common()
	if c.Addr != "" {
		return c.Addr
	}
	return string(c.Kind) + "." + c.Name
}

func routeAddr(r *plan.Route) string {
	if r.Addr != "" {
		return r.Addr
	}
	return "route." + r.Name
}

type bondDiff struct {
	want       *bonding.Options // the plan's options in kernel names (wantOptions)
	link       *live.Link       // nil: created
	opts       []bonding.ID
	disruptive bool
	// macNeedsDown: the planned mac is the 802.3ad actor system id, taken only by a bond
	// without slaves.
	macNeedsDown bool
}

type delItem struct {
	link   *live.Link
	object string
}

type differ struct {
	p *plan.Plan
	s *live.State
	// unowned names links that are not hostnet's but that the plan may change in place
	// (DiffUnowned: a restore); any other unmarked link of a planned name is refused.
	unowned map[string]bool
	// addr4Del names the links that lose an IPv4 address in this apply: their kept routes
	// are added again after the new addresses (see routeSpec.Readd).
	addr4Del map[string]bool

	name       map[plan.Interface]string // kernel name after apply
	planned    map[string]plan.Interface // by kernel name
	nicLink    map[*plan.NIC]*live.Link
	master     map[string]string // slave/port name -> master name
	bonds      map[*plan.Bond]*bondDiff
	gone       map[int]bool            // live ifindexes deleted (explicitly or with their lower)
	withMaster map[string]bool         // links created with IFLA_MASTER already set
	keptRoute  map[int]bool            // index into s.Routes of routes the plan keeps
	fdbBy      map[int][]live.FDBEntry // s.FDB by bridge ifindex, built on first use
	defaults   map[int][]int           // main-table default routes by OIF, as indexes into s.Routes
	routeBy    map[routeKey][]int      // s.Routes by table, destination and metric
	// downed holds the live ifindexes of links the apply sets down and up again (a bond
	// replace, and the VLANs on it, which the kernel takes down with it; a NIC rename): the
	// kernel removes their IPv6 addresses and the routes through them, which are added back.
	downed map[int]bool

	objects []Change
	steps   []Step
	dels    []delItem
	errs    []error
}

// newDiffer checks that s was read with what p needs and sets up the differ that Diff and
// DestroyChanges share: its maps and the route index.
func newDiffer(p *plan.Plan, s *live.State) (*differ, error) {
	if err := checkIncluded(p, s); err != nil {
		return nil, err
	}
	d := &differ{
		p: p, s: s,
		name:       map[plan.Interface]string{},
		planned:    map[string]plan.Interface{},
		nicLink:    map[*plan.NIC]*live.Link{},
		master:     map[string]string{},
		bonds:      map[*plan.Bond]*bondDiff{},
		gone:       map[int]bool{},
		withMaster: map[string]bool{},
		keptRoute:  map[int]bool{},
		downed:     map[int]bool{},
	}
	d.indexRoutes()
	return d, nil
}

// diffPlan compares plan p with live state s. It is a pure function: it reads nothing and
// changes nothing. The result lists per object what changes and holds the ordered steps for
// Apply. Diff and DiffAdopt (adopt.go) add the adoption rules for links hostnet did not create.
func diffPlan(p *plan.Plan, s *live.State) (*Changes, error) { return diff(p, s, nil) }

// diff is diffPlan; links named in unowned (a restore's links hostnet did not create) are
// diffed in place without a mark.
func diff(p *plan.Plan, s *live.State, unowned map[string]bool) (*Changes, error) {
	d, err := newDiffer(p, s)
	if err != nil {
		return nil, err
	}
	d.unowned = unowned
	nIfaces := len(p.NICs) + len(p.Bonds) + len(p.VLANs) + len(p.Bridges)
	d.steps = make([]Step, 0, nIfaces+len(p.Routes))
	d.objects = make([]Change, 0, nIfaces+len(p.Routes))
	// NICs are found by MAC: every missing one is an error, and nothing is planned.
	for _, n := range p.NICs {
		if len(n.MAC) == 0 {
			d.errs = append(d.errs, fmt.Errorf("%s: no MAC address to find the NIC by", Addr(n)))
			continue
		}
		l, err := s.NIC(n.MAC)
		if err != nil {
			d.errs = append(d.errs, fmt.Errorf("%s (mac %s): %w", Addr(n), n.MAC, err))
			continue
		}
		d.nicLink[n] = l
		d.name[n] = l.Name
		if n.Rename && n.Name != "" {
			d.name[n] = n.Name
		}
	}
	if len(d.errs) > 0 {
		return nil, errors.Join(d.errs...)
	}
	for _, i := range p.Interfaces() {
		if _, ok := i.(*plan.NIC); !ok {
			d.name[i] = i.Common().Name
		}
		d.planned[d.name[i]] = i
	}
	for _, b := range p.Bonds {
		for _, sl := range b.Slaves {
			d.master[d.name[sl.NIC]] = b.Name
		}
	}
	for _, b := range p.Bridges {
		for _, port := range b.Ports {
			d.master[d.name[port]] = b.Name
		}
	}

	// Marked links that the plan no longer has go first.
	for _, l := range s.Links {
		addr, ok := l.Mark()
		if !ok || d.planned[l.Name] != nil {
			continue
		}
		d.deleteLink(l, addr)
		d.objects = append(d.objects, Change{Address: addr, Kind: kindName(l), Name: l.Name, Action: Delete,
			Flaps: d.flaps(l), Unplugged: d.unplugged(l), Reason: "marked by hostnet and not in the plan"})
	}
	for _, b := range p.Bonds {
		d.planBond(b)
	}
	for _, i := range p.Ordered() {
		switch x := i.(type) {
		case *plan.NIC:
			d.nic(x)
		case *plan.Bond:
			d.bond(x)
		case *plan.VLAN:
			d.vlan(x)
		case *plan.Bridge:
			d.bridge(x)
		}
	}
	d.routes()
	if len(d.errs) > 0 {
		return nil, errors.Join(d.errs...)
	}
	return d.changes(), nil
}

func kindName(l *live.Link) string {
	if l.Kind == "" {
		return "link"
	}
	return l.Kind
}

func (d *differ) changes() *Changes {
	// Deletions: uppers before lowers.
	depth := map[int]int{}
	var dep func(l *live.Link) int
	dep = func(l *live.Link) int {
		if v, ok := depth[l.Index]; ok {
			return v
		}
		depth[l.Index] = 0
		v := 0
		for _, x := range d.s.Slaves(l) {
			v = max(v, dep(x)+1)
		}
		if p := d.s.LinkByIndex(l.ParentIndex); p != nil {
			v = max(v, dep(p)+1)
		}
		depth[l.Index] = v
		return v
	}
	sort.SliceStable(d.dels, func(i, j int) bool { return dep(d.dels[i].link) > dep(d.dels[j].link) })
	deleted := map[int]bool{}
	for _, x := range d.dels {
		deleted[x.link.Index] = true
	}
	for _, x := range d.dels {
		if x.link.Kind == "vlan" && deleted[x.link.ParentIndex] {
			continue // the kernel deletes a VLAN with its real device, in one batch: far cheaper
		}
		d.step(PhaseLinksDel, x.object, "delete "+kindName(x.link)+" "+x.link.Name, op{kind: opLinkDelete, link: x.link.Name})
	}
	sort.SliceStable(d.steps, func(i, j int) bool { return d.steps[i].Phase < d.steps[j].Phase })
	c := &Changes{Objects: d.objects, steps: d.steps, plan: d.p, state: d.s}
	for _, l := range d.s.Links {
		if d.downed[l.Index] {
			c.downed = append(c.downed, l.Name)
		}
	}
	if c.Objects == nil {
		c.Objects = []Change{}
	}
	c.finish()
	return c
}

func (d *differ) step(ph Phase, object, desc string, o op) {
	d.steps = append(d.steps, Step{Phase: ph, Object: object, Desc: desc, op: o})
}

func ptr[T any](v T) *T { return &v }

// unplugged lists the ports of bridge l that the plan does not name (nil for other links).
func (d *differ) unplugged(l *live.Link) []string {
	if l.Bridge == nil {
		return nil
	}
	var out []string
	for _, x := range d.s.Slaves(l) {
		if d.planned[x.Name] == nil {
			out = append(out, x.Name)
		}
	}
	return out
}

// deleteLink schedules a marked link's deletion; VLANs on it go with it in the kernel.
func (d *differ) deleteLink(l *live.Link, object string) {
	d.gone[l.Index] = true
	d.dels = append(d.dels, delItem{l, object})
	d.goneVLANs(l)
}

func (d *differ) goneVLANs(l *live.Link) {
	for _, u := range d.s.Uppers(l) {
		if u.Kind == "vlan" && d.gone[u.ParentIndex] {
			d.gone[u.Index] = true
		}
	}
}

// flaps lists l and every link stacked on it.
func (d *differ) flaps(l *live.Link, extra ...*live.Link) []string {
	seen := map[string]bool{}
	var out []string
	add := func(x *live.Link) {
		if x != nil && !seen[x.Name] {
			seen[x.Name] = true
			out = append(out, x.Name)
		}
	}
	add(l)
	for _, x := range extra {
		add(x)
	}
	for _, u := range d.s.Uppers(l) {
		add(u)
	}
	return out
}

// liveLink is the live link a planned interface has now, nil when it does not exist or is
// being deleted.
func (d *differ) liveLink(name string) *live.Link {
	l := d.s.Link(name)
	if l == nil || d.gone[l.Index] {
		return nil
	}
	return l
}

func (d *differ) isBond(name string) bool {
	_, ok := d.planned[name].(*plan.Bond)
	return ok
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// existing checks a live link found under a planned name: the right kind, or marked and
// replaceable. It returns the link to update (nil: create) and whether it is a replace.
func (d *differ) existing(i plan.Interface, ch *Change, kind string, l *live.Link) (*live.Link, bool) {
	if l != nil && l.Kind == kind {
		// An unmarked link (or one whose mark does not verify) is diffed like hostnet's own;
		// its "owner" change then decides (adopt.go): only the mark to write is an adoption,
		// anything more is refused unless the operator adopts it explicitly (--adopt).
		return l, false
	}
	if l == nil {
		return l, false
	}
	if _, ok := l.Mark(); ok {
		ch.Reason = fmt.Sprintf("%s is a %s, the plan wants a %s", l.Name, kindName(l), kind)
		ch.Flaps = d.flaps(l)
		d.deleteLink(l, Addr(i))
		return nil, true
	}
	d.errs = append(d.errs, fmt.Errorf("%s: interface %s exists as a %s that hostnet did not create; remove or rename it",
		Addr(i), l.Name, kindName(l)))
	return nil, false
}

// common diffs what every planned interface has: ownership mark, MTU, MAC, up, addresses,
// gateway. l is nil for a link that is created.
func (d *differ) common(i plan.Interface, ch *Change, l *live.Link, skipMTU bool) {
	c := i.Common()
	name := d.name[i]
	obj := Addr(i)
	_, isNIC := i.(*plan.NIC)
	if l != nil {
		if mark := Mark(obj); !isNIC && l.Alias != mark {
			old := unownedOwner
			if a, ok := l.Mark(); ok {
				old = live.MarkPrefix + a
			}
			ch.Attrs = append(ch.Attrs, AttrChange{Name: "owner", Old: old, New: mark})
			d.step(PhaseNICs, obj, "mark "+name+" as "+mark, op{kind: opLinkSet, link: l.Name, alias: ptr(mark)})
		}
		if c.MTU > 0 && !skipMTU && l.MTU != c.MTU {
			ch.Attrs = append(ch.Attrs, AttrChange{Name: "mtu", Old: strconv.Itoa(l.MTU), New: strconv.Itoa(c.MTU)})
			ph := PhaseBonds
			if isNIC {
				ph = PhaseNICs
			}
			d.step(ph, obj, fmt.Sprintf("set mtu %d", c.MTU), op{kind: opLinkSet, link: name, mtu: c.MTU})
		}
		if c.MAC != nil && !isNIC && !slices.Equal(l.MAC, c.MAC) {
			ch.Attrs = append(ch.Attrs, AttrChange{Name: "mac", Old: l.MAC.String(), New: c.MAC.String()})
			d.step(PhaseBonds, obj, "set mac "+c.MAC.String(), op{kind: opLinkSet, link: name, mac: c.MAC})
		}
	}
	d.addrs(i, ch, l)
	d.gateway(i, ch, l)
}

func (d *differ) setUp(i plan.Interface, ch *Change, l *live.Link, force bool) {
	if l != nil && (!l.Up() || force) {
		if !l.Up() {
			ch.Attrs = append(ch.Attrs, AttrChange{Name: "state", Old: "down", New: "up"})
		}
		d.step(upPhase(i), Addr(i), "set "+d.name[i]+" up", op{kind: opLinkSet, link: d.name[i], up: ptr(true)})
	}
}

// upPhase is when an existing bond or bridge that is down comes up: with its kind's phase,
// so that a VLAN created on it later in the same apply can be created up (the kernel
// refuses an up VLAN on a down lower link, ENETDOWN; found by the fault-injection test of
// package safe, whose restore met a bond left down). NICs and VLANs come up with the other
// links, last, so that a failed NIC step leaves them as they were.
func upPhase(i plan.Interface) Phase {
	switch i.(type) {
	case *plan.Bond:
		return PhaseBonds
	case *plan.Bridge:
		return PhaseBridges
	}
	return PhaseUp
}

func (d *differ) addrs(i plan.Interface, ch *Change, l *live.Link) {
	c := i.Common()
	want := map[netip.Prefix]bool{}
	for _, p := range c.Addresses {
		want[p] = true
	}
	have := map[netip.Prefix]bool{}
	if l != nil {
		for _, a := range l.Addrs {
			if a.LinkLocal() {
				continue
			}
			have[a.Prefix] = true
			if !want[a.Prefix] {
				if a.Prefix.Addr().Is4() {
					if d.addr4Del == nil {
						d.addr4Del = map[string]bool{}
					}
					d.addr4Del[l.Name] = true
				}
				ch.Attrs = append(ch.Attrs, AttrChange{Name: "address", Old: a.Prefix.String()})
				d.step(PhaseAddrsDel, Addr(i), "remove address "+a.Prefix.String()+" from "+l.Name,
					op{kind: opAddrDel, link: l.Name, prefix: a.Prefix})
			}
		}
	}
	for _, p := range c.Addresses {
		switch {
		case !have[p]:
			ch.Attrs = append(ch.Attrs, AttrChange{Name: "address", New: p.String()})
			d.step(PhaseAddrs, Addr(i), "add address "+p.String()+" to "+d.name[i],
				op{kind: opAddrAdd, link: d.name[i], prefix: p})
		case p.Addr().Is6() && d.downed[l.Index]:
			d.step(PhaseAddrs, Addr(i), "add address "+p.String()+" to "+d.name[i]+" again ("+whyIPv6Gone+")",
				op{kind: opAddrAdd, link: d.name[i], prefix: p, again: true})
		}
	}
}

// Why an address or a route is added back after a link went down and up: the kernel
// removes a link's IPv6 addresses (addrconf_ifdown, unless keep_addr_on_down) and every
// route through it (IPv4 and IPv6) when the link goes down; IPv4 addresses stay, and their
// prefix routes come back with the link.
const (
	whyIPv6Gone  = "the kernel removes IPv6 addresses from a link that goes down"
	whyRouteGone = "the kernel deletes the routes through a link that goes down"
)

// readdRoute adds back a route the plan keeps whose link goes down and up in this apply.
func (d *differ) readdRoute(obj string, lr *live.Route, via string) {
	d.step(PhaseRoutes, obj, "add route "+lr.Dst.String()+" "+via+" again ("+whyRouteGone+")",
		op{kind: opRouteAdd, again: true, route: &routeSpec{Dst: lr.Dst, Gateway: lr.Gateway, Dev: d.s.Name(lr.OIF),
			Metric: lr.Priority, Table: lr.Table, Protocol: live.RouteProtocol}})
}

// markDowned records that l goes down and up in this apply, with the VLANs stacked on it:
// the kernel sets a VLAN down with its real device (vlan_device_event, NETDEV_DOWN).
func (d *differ) markDowned(l *live.Link) {
	if d.downed[l.Index] {
		return
	}
	d.downed[l.Index] = true
	for _, u := range d.s.Uppers(l) {
		if u.Kind == "vlan" && u.ParentIndex == l.Index {
			d.markDowned(u)
		}
	}
}

func defaultRoute(a netip.Addr) netip.Prefix {
	if a.Is4() {
		return netip.PrefixFrom(netip.IPv4Unspecified(), 0)
	}
	return netip.PrefixFrom(netip.IPv6Unspecified(), 0)
}

// metricFor is the metric the kernel stores for a route added with metric m (IPv6 turns 0
// into 1024).
func metricFor(dst netip.Prefix, m int) int {
	if m == 0 && dst.Addr().Is6() {
		return 1024
	}
	return m
}

// routeKey is what the kernel keys a route by: two routes with the same key and other next
// hops are merged (IPv6 multipath) or shadow one another (IPv4).
type routeKey struct {
	table  int
	dst    netip.Prefix
	metric int
}

// indexRoutes indexes s.Routes once per Diff: a host with thousands of links has thousands
// of routes (an fe80::/64 per link), and every interface and planned route looks some up.
func (d *differ) indexRoutes() {
	d.defaults = map[int][]int{}
	d.routeBy = make(map[routeKey][]int, len(d.s.Routes))
	for k, r := range d.s.Routes {
		if r.Dst.Bits() == 0 && r.Table == unix.RT_TABLE_MAIN {
			d.defaults[r.OIF] = append(d.defaults[r.OIF], k)
		}
		key := routeKey{r.Table, r.Dst, r.Priority}
		d.routeBy[key] = append(d.routeBy[key], k)
	}
}

// foreignConflict reports an error when a route hostnet did not add has the key of a route
// the plan adds (object obj, described by want), which is not there yet: the kernel would
// merge the two or let one shadow the other, so the add is refused rather than done.
func (d *differ) foreignConflict(obj, want string, key routeKey) {
	for _, k := range d.routeBy[key] {
		r := d.s.Routes[k]
		if r.Protocol == live.RouteProtocol || d.gone[r.OIF] {
			continue
		}
		d.errs = append(d.errs, fmt.Errorf("%s: planned route %s %s (table %d, metric %d) conflicts with existing route %s %s "+
			"(protocol %s) that hostnet did not add; remove that route or give the planned one another metric",
			obj, key.dst, want, key.table, key.metric, r.Dst, routeText(r.Gateway, d.s.Name(r.OIF)), protoText(r.Protocol)))
	}
}

func protoText(p uint8) string {
	switch p {
	case unix.RTPROT_KERNEL:
		return "kernel"
	case unix.RTPROT_BOOT:
		return "boot"
	case unix.RTPROT_STATIC:
		return "static"
	case unix.RTPROT_RA:
		return "ra"
	case unix.RTPROT_DHCP:
		return "dhcp"
	}
	return strconv.Itoa(int(p))
}

func (d *differ) gateway(i plan.Interface, ch *Change, l *live.Link) {
	gw := i.Common().Gateway
	name := d.name[i]
	matched := false
	var old []string
	if l != nil {
		for _, k := range d.defaults[l.Index] {
			r := d.s.Routes[k]
			if gw.IsValid() && r.Gateway == gw && r.Priority == metricFor(r.Dst, 0) {
				matched = true
				d.keptRoute[k] = true
				if d.downed[l.Index] {
					d.readdRoute(Addr(i), &d.s.Routes[k], "via "+gw.String())
				} else {
					d.readd(Addr(i), r)
				}
				continue
			}
			if r.Protocol == live.RouteProtocol {
				d.keptRoute[k] = true // handled here, not as an extra route
				old = append(old, r.Gateway.String())
				d.step(PhaseRoutesDel, Addr(i), "delete default route via "+r.Gateway.String()+" dev "+l.Name,
					op{kind: opRouteDel, route: &routeSpec{Dst: r.Dst, Gateway: r.Gateway, Dev: l.Name, Metric: r.Priority, Table: r.Table}})
			}
		}
	}
	if gw.IsValid() && !matched {
		dst := defaultRoute(gw)
		d.foreignConflict(Addr(i), routeText(gw, name), routeKey{unix.RT_TABLE_MAIN, dst, metricFor(dst, 0)})
		ch.Attrs = append(ch.Attrs, AttrChange{Name: "gateway", Old: strings.Join(old, ", "), New: gw.String()})
		d.step(PhaseRoutes, Addr(i), "add default route via "+gw.String()+" dev "+name,
			op{kind: opRouteAdd, route: &routeSpec{Dst: dst, Gateway: gw, Dev: name, Metric: metricFor(dst, 0),
				Table: unix.RT_TABLE_MAIN, Protocol: live.RouteProtocol}})
	} else if len(old) > 0 {
		ch.Attrs = append(ch.Attrs, AttrChange{Name: "gateway", Old: strings.Join(old, ", ")})
	}
}

func (d *differ) finish(ch Change) {
	if ch.Action == "" {
		ch.Action = NoOp
		if len(ch.Attrs) > 0 {
			ch.Action = Update
		}
	}
	d.objects = append(d.objects, ch)
}

// ---- NICs ----

func (d *differ) nic(n *plan.NIC) {
	l := d.nicLink[n]
	name := d.name[n]
	obj := Addr(n)
	ch := Change{Address: obj, Kind: "nic", Name: name}
	want := d.master[name]
	have := ""
	var haveLink *live.Link
	if m := d.s.LinkByIndex(l.MasterIndex); m != nil {
		haveLink = m
		if !d.gone[m.Index] {
			have = m.Name
		}
	}
	wantBond := d.isBond(want)
	closed := false // the kernel closes a released bond slave
	if haveLink != nil && haveLink.Name != want {
		closed = haveLink.Kind == "bond"
		ch.Attrs = append(ch.Attrs, AttrChange{Name: "master", Old: haveLink.Name, New: orNone(want)})
		if have != "" && (want == "" || wantBond) {
			d.step(PhaseNICs, obj, "release "+l.Name+" from "+have, op{kind: opLinkSet, link: l.Name, master: ptr("")})
		}
		if want != "" && closed {
			ch.Flaps = append(ch.Flaps, l.Name)
		}
	} else if haveLink == nil && want != "" {
		ch.Attrs = append(ch.Attrs, AttrChange{Name: "master", Old: "(none)", New: want})
	}
	if n.MTU > 0 && !wantBond && l.MTU != n.MTU {
		ch.Attrs = append(ch.Attrs, AttrChange{Name: "mtu", Old: strconv.Itoa(l.MTU), New: strconv.Itoa(n.MTU)})
		d.step(PhaseNICs, obj, fmt.Sprintf("set %s mtu %d", l.Name, n.MTU), op{kind: opLinkSet, link: l.Name, mtu: n.MTU})
	}
	renamed := name != l.Name
	if renamed {
		d.markDowned(l)
		ch.Attrs = append(ch.Attrs, AttrChange{Name: "name", Old: l.Name, New: name, Needs: "link down"})
		ch.Flaps = append(ch.Flaps, l.Name)
		d.step(PhaseNICs, obj, "set "+l.Name+" down", op{kind: opLinkSet, link: l.Name, up: ptr(false)})
		d.step(PhaseNICs, obj, "rename "+l.Name+" to "+name, op{kind: opLinkSet, link: l.Name, rename: name})
	}
	d.addrs(n, &ch, l)
	d.gateway(n, &ch, l)
	if !wantBond {
		d.setUp(n, &ch, l, closed || renamed)
	}
	d.finish(ch)
}

// ---- bonds ----

// planBond compares the option sets before anything else, so that the NICs know whether
// their bond goes through the down/release/re-enslave sequence.
func (d *differ) planBond(b *plan.Bond) {
	bd := &bondDiff{want: d.wantOptions(b)}
	d.bonds[b] = bd
	l := d.s.Link(b.Name)
	if l == nil || l.Kind != "bond" || l.Bond == nil || d.gone[l.Index] {
		return
	}
	bd.link = l
	want, have := bd.want, &l.Bond.Options
	mode := want.Mode()
	for id := bonding.ID(0); id < bonding.NumOptions; id++ {
		o := &bonding.Table[id]
		if (id == bonding.OptActiveSlave || o.Kind == bonding.KindMAC) && !want.IsSet(id) {
			continue // a momentary choice, or a default that cannot be sent back
		}
		if o.Refused && !o.Modes.Has(mode) && !want.IsSet(id) {
			continue // the kernel refuses it in the planned mode (when the plan sets it, the kernel says so)
		}
		if !want.IsSet(id) && !l.Bond.Reported[id] {
			continue // the kernel does not know it and the plan does not ask
		}
		if want.Get(id).Equal(have.Get(id)) {
			continue
		}
		bd.opts = append(bd.opts, id)
		if id != bonding.OptActiveSlave && (o.NoSlaves || o.IfDown) {
			bd.disruptive = true
		}
	}
	if b.MAC != nil && !slices.Equal(l.MAC, b.MAC) && mode == bonding.LACP && !want.IsSet(bonding.OptADActorSystem) {
		// The 802.3ad actor system id is the bond's MAC as it is when the first slave is
		// enslaved (bond_3ad_initialize); a MAC set later never reaches the LACPDUs.
		bd.macNeedsDown = true
		bd.disruptive = true
	}
	if bd.disruptive {
		d.markDowned(l)
	}
}

// wantOptions is b's options as the kernel names things: primary and active_slave carry
// the kernel name of their NIC. The plan gives the NIC, whose label is its kernel name
// only when the plan renames it; a NIC found by MAC keeps the name the kernel gave it.
func (d *differ) wantOptions(b *plan.Bond) *bonding.Options {
	o := b.Options
	for _, x := range []struct {
		id  bonding.ID
		nic *plan.NIC
	}{{bonding.OptPrimary, b.Primary}, {bonding.OptActiveSlave, b.ActiveSlave}} {
		if name, ok := d.name[x.nic]; ok && x.nic != nil && o.IsSet(x.id) {
			o.Set(x.id, bonding.Value{Iface: name})
		}
	}
	return &o
}

// bondData is IFLA_INFO_DATA for the given options, in the table's (the kernel's) order.
// updelay/downdelay/peer_notif_delay are stored by the kernel in miimon ticks: they are
// resent with a miimon change, and never sent when miimon ends up 0 (EPERM).
func bondData(ids []bonding.ID, want *bonding.Options, reported *[bonding.NumOptions]bool, create bool) []attr {
	set := map[bonding.ID]bool{}
	for _, id := range ids {
		if id != bonding.OptActiveSlave {
			set[id] = true
		}
	}
	delays := []bonding.ID{bonding.OptUpdelay, bonding.OptDowndelay, bonding.OptPeerNotifDelay}
	if want.Num(bonding.OptMiimon) == 0 {
		for _, id := range delays {
			delete(set, id)
		}
	} else if set[bonding.OptMiimon] && !create {
		for _, id := range delays {
			if want.IsSet(id) || reported[id] {
				set[id] = true
			}
		}
	}
	var out []attr
	for id := bonding.ID(0); id < bonding.NumOptions; id++ {
		if set[id] {
			out = append(out, bondAttr(id, want.Get(id)))
		}
	}
	return out
}

func (d *differ) bond(b *plan.Bond) {
	obj := Addr(b)
	ch := Change{Address: obj, Kind: "bond", Name: b.Name}
	bd := d.bonds[b]
	l, replaced := d.existing(b, &ch, "bond", d.liveLink(b.Name))
	if replaced {
		ch.Action = Replace
	}
	if l == nil || l.Bond == nil {
		d.createBond(b, &ch)
		if ch.Action == "" {
			ch.Action = Create
		}
		d.finish(ch)
		return
	}
	want := bd.want
	liveSlaves := map[string]*live.Link{}
	for _, s := range d.s.Slaves(l) {
		liveSlaves[s.Name] = s
	}
	for _, id := range bd.opts {
		ac := AttrChange{Name: bonding.Table[id].Name, Old: l.Bond.Options.Get(id).Format(id), New: want.Get(id).Format(id)}
		if o := &bonding.Table[id]; o.NoSlaves || o.IfDown {
			ac.Needs = NeedsBondDown
		}
		ch.Attrs = append(ch.Attrs, ac)
	}
	var slaveNames []string
	for _, s := range b.Slaves {
		slaveNames = append(slaveNames, d.name[s.NIC])
	}
	var liveNames []string
	for _, s := range d.s.Slaves(l) {
		liveNames = append(liveNames, s.Name)
	}
	if !sameSet(slaveNames, liveNames) {
		ch.Attrs = append(ch.Attrs, AttrChange{Name: "slaves", Old: "[" + strings.Join(liveNames, ", ") + "]",
			New: "[" + strings.Join(slaveNames, ", ") + "]"})
	}
	if bd.disruptive {
		var extra []*live.Link
		for _, s := range d.s.Slaves(l) {
			extra = append(extra, s)
		}
		for _, s := range b.Slaves {
			extra = append(extra, d.nicLink[s.NIC])
		}
		ch.Flaps = d.flaps(l, extra...)
		d.step(PhaseBonds, obj, "set "+b.Name+" down", op{kind: opLinkSet, link: b.Name, up: ptr(false)})
		for _, s := range d.s.Slaves(l) {
			d.step(PhaseBonds, obj, "release "+s.Name+" from "+b.Name, op{kind: opLinkSet, link: s.Name, master: ptr("")})
		}
		d.resetLACPRate(b, &ch, l)
		if len(bd.opts) > 0 {
			d.step(PhaseBonds, obj, "set "+optList(bd.opts, want), op{kind: opLinkSet, link: b.Name, linkKind: "bond",
				data: bondData(bd.opts, want, &l.Bond.Reported, false)})
		}
		// MTU and MAC before the slaves: the slaves take them on enslave, and in 802.3ad
		// the first enslave makes the MAC the LACP actor system id.
		d.common(b, &ch, l, false)
		if bd.macNeedsDown {
			for k := range ch.Attrs {
				if ch.Attrs[k].Name == "mac" {
					ch.Attrs[k].Needs = NeedsBondDown
				}
			}
		}
		for _, s := range b.Slaves {
			d.enslave(b, s, nil, &ch)
		}
		d.step(PhaseBonds, obj, "set "+b.Name+" up", op{kind: opLinkSet, link: b.Name, up: ptr(true)})
		d.activeSlave(b, true)
		ch.Action = Replace
		switch {
		case len(bd.opts) > 0:
			ch.Reason = "options the kernel changes only with the bond down and without slaves"
		case bd.macNeedsDown:
			ch.Reason = "an 802.3ad bond takes a new MAC as its LACP actor system only without slaves"
		}
		d.finish(ch)
		return
	}
	if data := bondData(bd.opts, want, &l.Bond.Reported, false); len(data) > 0 {
		d.step(PhaseBonds, obj, "set "+optList(bd.opts, want)+" (in place)",
			op{kind: opLinkSet, link: b.Name, linkKind: "bond", data: data})
	}
	for _, s := range b.Slaves {
		d.enslave(b, s, liveSlaves[d.name[s.NIC]], &ch)
	}
	for _, s := range d.s.Slaves(l) { // ifindex order: a stable plan, step indexes and fault positions
		if _, ok := d.planned[s.Name].(*plan.NIC); !ok {
			d.step(PhaseNICs, obj, "release "+s.Name+" from "+b.Name, op{kind: opLinkSet, link: s.Name, master: ptr("")})
		}
	}
	d.common(b, &ch, l, false)
	d.setUp(b, &ch, l, false)
	d.activeSlave(b, false)
	d.finish(ch)
}

// resetLACPRate puts lacp_rate back to slow before a bond leaves 802.3ad: the kernel keeps
// the value in other modes, unused and unreported (and refuses to set it there), so a later
// return to 802.3ad would bring back a fast rate that neither the plan nor a diff shows.
func (d *differ) resetLACPRate(b *plan.Bond, ch *Change, l *live.Link) {
	have := &l.Bond.Options
	slow := bonding.DefaultFor(bonding.OptLACPRate, bonding.LACP)
	if have.Mode() != bonding.LACP || b.Options.Mode() == bonding.LACP || have.Num(bonding.OptLACPRate) == slow {
		return
	}
	v := bonding.Value{Num: slow}
	ch.Attrs = append(ch.Attrs, AttrChange{Name: "lacp_rate", Old: have.Get(bonding.OptLACPRate).Format(bonding.OptLACPRate),
		New: v.Format(bonding.OptLACPRate), Needs: "reset while still 802.3ad: the kernel keeps it, unused, in other modes"})
	d.step(PhaseBonds, Addr(b), "reset lacp_rate=slow before leaving 802.3ad", op{kind: opLinkSet, link: b.Name, linkKind: "bond",
		data: []attr{bondAttr(bonding.OptLACPRate, v)}})
}

func optList(ids []bonding.ID, want *bonding.Options) string {
	var parts []string
	for _, id := range ids {
		if id == bonding.OptActiveSlave {
			continue
		}
		parts = append(parts, bonding.Table[id].Name+"="+want.Get(id).Format(id))
	}
	if len(parts) == 0 {
		return "options"
	}
	return strings.Join(parts, " ")
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func (d *differ) createBond(b *plan.Bond, ch *Change) {
	want := d.bonds[b].want
	var ids []bonding.ID
	for _, id := range want.SetIDs() {
		if id == bonding.OptActiveSlave {
			continue
		}
		ids = append(ids, id)
		ch.Attrs = append(ch.Attrs, AttrChange{Name: bonding.Table[id].Name, New: want.Get(id).Format(id)})
	}
	if b.MTU > 0 {
		ch.Attrs = append(ch.Attrs, AttrChange{Name: "mtu", New: strconv.Itoa(b.MTU)})
	}
	if b.MAC != nil {
		ch.Attrs = append(ch.Attrs, AttrChange{Name: "mac", New: b.MAC.String()})
	}
	var slaves []string
	for _, s := range b.Slaves {
		slaves = append(slaves, d.name[s.NIC])
	}
	ch.Attrs = append(ch.Attrs, AttrChange{Name: "slaves", New: "[" + strings.Join(slaves, ", ") + "]"})
	d.createLink(b, PhaseBonds, op{kind: opLinkCreate, link: b.Name, linkKind: "bond", up: ptr(true), mtu: b.MTU,
		mac: b.MAC, data: bondData(ids, want, nil, true)}, "create bond "+b.Name+" "+optList(ids, want))
	for _, s := range b.Slaves {
		d.enslave(b, s, nil, ch)
	}
	d.common(b, ch, nil, false)
	d.activeSlave(b, true)
}

// createLink adds the create step and the ownership mark.
func (d *differ) createLink(i plan.Interface, ph Phase, o op, desc string) {
	mark := Mark(Addr(i))
	if createTakesAlias {
		o.alias = &mark
		d.step(ph, Addr(i), desc, o)
		return
	}
	d.step(ph, Addr(i), desc, o)
	d.step(ph, Addr(i), "mark "+o.link+" "+mark, op{kind: opLinkSet, link: o.link, alias: &mark})
}

// enslave adds a slave to a bond (down first, as the kernel demands) unless it is already
// there (cur != nil), and sets its per-slave options.
func (d *differ) enslave(b *plan.Bond, s plan.Slave, cur *live.Link, ch *Change) {
	obj := Addr(b)
	name := d.name[s.NIC]
	if cur == nil {
		d.step(PhaseBonds, obj, "set "+name+" down", op{kind: opLinkSet, link: name, up: ptr(false)})
		d.step(PhaseBonds, obj, "enslave "+name+" to "+b.Name, op{kind: opLinkSet, link: name, master: ptr(b.Name)})
	}
	var qid, haveQ uint16
	var prio, haveP int32
	if s.QueueID != nil {
		qid = *s.QueueID
	}
	if s.Prio != nil {
		prio = *s.Prio
	}
	if cur != nil && cur.BondSlave != nil {
		haveQ, haveP = cur.BondSlave.QueueID, cur.BondSlave.Prio
	}
	var data []attr
	var parts []string
	if qid != haveQ {
		data = append(data, attr{typ: unix.IFLA_BOND_SLAVE_QUEUE_ID, val: u16(qid)})
		parts = append(parts, fmt.Sprintf("queue_id=%d", qid))
		ch.Attrs = append(ch.Attrs, AttrChange{Name: name + ".queue_id", Old: strconv.Itoa(int(haveQ)), New: strconv.Itoa(int(qid))})
	}
	if prio != haveP {
		data = append(data, attr{typ: unix.IFLA_BOND_SLAVE_PRIO, val: u32(uint32(prio))})
		parts = append(parts, fmt.Sprintf("prio=%d", prio))
		ch.Attrs = append(ch.Attrs, AttrChange{Name: name + ".prio", Old: strconv.Itoa(int(haveP)), New: strconv.Itoa(int(prio))})
	}
	if len(data) > 0 {
		d.step(PhaseBonds, obj, "set slave "+name+" "+strings.Join(parts, " "), op{kind: opLinkSet, link: name, slaveData: data})
	}
}

func u16(v uint16) []byte {
	b := make([]byte, 2)
	native.PutUint16(b, v)
	return b
}

func (d *differ) activeSlave(b *plan.Bond, force bool) {
	want := d.bonds[b].want
	if !want.IsSet(bonding.OptActiveSlave) {
		return
	}
	v := want.Get(bonding.OptActiveSlave)
	if !force {
		if l := d.liveLink(b.Name); l != nil && l.Bond != nil && l.Bond.Options.Get(bonding.OptActiveSlave).Equal(v) {
			return
		}
	}
	d.step(PhaseFinal, Addr(b), "make "+v.Iface+" the active slave", op{kind: opLinkSet, link: b.Name, linkKind: "bond",
		data: []attr{bondAttr(bonding.OptActiveSlave, v)}})
}

// ---- VLANs ----

func vlanProto(p string) uint16 {
	if strings.EqualFold(p, "802.1ad") {
		return unix.ETH_P_8021AD
	}
	return unix.ETH_P_8021Q
}

func protoName(p uint16) string {
	if p == unix.ETH_P_8021AD {
		return "802.1ad"
	}
	return "802.1Q"
}

// sameVLAN refuses to create VLAN v when its parent already carries the same id and
// protocol under another name that this apply does not delete: the kernel would refuse the
// second one (EEXIST) half way through the apply.
func (d *differ) sameVLAN(v *plan.VLAN, obj, parent string, proto uint16) {
	pl := d.liveLink(parent)
	if pl == nil || d.gone[pl.Index] {
		return
	}
	for _, u := range d.s.Uppers(pl) {
		if u.Kind == "vlan" && u.VLAN != nil && u.VLAN.ID == v.ID && u.VLAN.Protocol == proto && u.Name != v.Name && !d.gone[u.Index] {
			d.errs = append(d.errs, fmt.Errorf("%s: %s VLAN %d on %s already exists as %s, and the kernel refuses a second one (EEXIST); name it %q in the plan or remove %s",
				obj, protoName(proto), v.ID, parent, u.Name, u.Name, u.Name))
		}
	}
}

func (d *differ) vlan(v *plan.VLAN) {
	obj := Addr(v)
	ch := Change{Address: obj, Kind: "vlan", Name: v.Name}
	parent := d.name[v.Link]
	proto := vlanProto(v.Protocol)
	l, replaced := d.existing(v, &ch, "vlan", d.s.Link(v.Name))
	if l != nil && d.gone[l.Index] {
		// its lower link is deleted: the kernel deletes the VLAN with it
		ch.Reason = "its link " + d.s.Name(l.ParentIndex) + " is deleted and created again"
		ch.Flaps = []string{l.Name}
		l, replaced = nil, true
	}
	if l != nil && l.VLAN != nil {
		pl := d.liveLink(parent)
		var diffs []AttrChange
		if pl == nil || l.ParentIndex != pl.Index {
			diffs = append(diffs, AttrChange{Name: "link", Old: d.s.Name(l.ParentIndex), New: parent, Needs: NeedsRecreate})
		}
		if l.VLAN.ID != v.ID {
			diffs = append(diffs, AttrChange{Name: "id", Old: strconv.Itoa(l.VLAN.ID), New: strconv.Itoa(v.ID), Needs: NeedsRecreate})
		}
		if l.VLAN.Protocol != proto {
			diffs = append(diffs, AttrChange{Name: "protocol", Old: protoName(l.VLAN.Protocol), New: protoName(proto), Needs: NeedsRecreate})
		}
		if len(diffs) > 0 {
			if _, ok := l.Mark(); !ok {
				d.errs = append(d.errs, fmt.Errorf("%s: VLAN %s exists with other %s and hostnet did not create it",
					obj, l.Name, diffs[0].Name))
				return
			}
			ch.Attrs = append(ch.Attrs, diffs...)
			ch.Flaps = d.flaps(l)
			ch.Reason = "a VLAN's " + diffs[0].Name + " cannot change in place"
			d.deleteLink(l, obj)
			l, replaced = nil, true
		}
	}
	if l == nil {
		if !replaced {
			ch.Attrs = append(ch.Attrs, AttrChange{Name: "link", New: parent}, AttrChange{Name: "id", New: strconv.Itoa(v.ID)})
		}
		o := op{kind: opLinkCreate, link: v.Name, linkKind: "vlan", parent: parent, vlanID: v.ID, vlanProto: proto,
			up: ptr(true), mtu: v.MTU}
		if m := d.master[v.Name]; m != "" {
			if _, ok := d.planned[m].(*plan.Bridge); ok {
				o.master = ptr(m)
				d.withMaster[v.Name] = true
				ch.Attrs = append(ch.Attrs, AttrChange{Name: "master", New: m})
			}
		}
		d.sameVLAN(v, obj, parent, proto)
		desc := fmt.Sprintf("create vlan %s on %s id %d", v.Name, parent, v.ID)
		if o.master != nil {
			desc += " master " + *o.master
		}
		d.createLink(v, PhaseVLANs, o, desc)
		d.common(v, &ch, nil, false)
		ch.Action = Create
		if replaced {
			ch.Action = Replace
		}
		d.finish(ch)
		return
	}
	d.common(v, &ch, l, false)
	d.setUp(v, &ch, l, false)
	d.finish(ch)
}

// ---- bridges ----

func boolStr(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func secs(cs uint32) string { return fmt.Sprintf("%gs", float64(cs)/100) }

// bridgeData lists the bridge options that differ from l (all planned ones when l is nil).
func bridgeData(b *plan.Bridge, l *live.Bridge, ch *Change) []attr {
	var out []attr
	add := func(name, old, new string, a attr) {
		out = append(out, a)
		if l != nil {
			ch.Attrs = append(ch.Attrs, AttrChange{Name: name, Old: old, New: new})
		} else {
			ch.Attrs = append(ch.Attrs, AttrChange{Name: name, New: new})
		}
	}
	var cur live.Bridge
	if l != nil {
		cur = *l
	}
	stp := uint32(0)
	if b.STP {
		stp = 1
	}
	if (l == nil && b.STP) || (l != nil && (cur.STPState != 0) != b.STP) {
		add("stp", boolStr(cur.STPState != 0), boolStr(b.STP), attr{typ: unix.IFLA_BR_STP_STATE, val: u32(stp)})
	}
	if b.ForwardDelay != nil {
		v := uint32(*b.ForwardDelay * 100)
		if l == nil || cur.ForwardDelay != v {
			add("forward_delay", secs(cur.ForwardDelay), secs(v), attr{typ: unix.IFLA_BR_FORWARD_DELAY, val: u32(v)})
		}
	}
	if b.AgeingTime != nil {
		v := uint32(*b.AgeingTime * 100)
		if l == nil || cur.AgeingTime != v {
			add("ageing_time", secs(cur.AgeingTime), secs(v), attr{typ: unix.IFLA_BR_AGEING_TIME, val: u32(v)})
		}
	}
	if b.VLANFiltering != nil && (l == nil || cur.VLANFiltering != *b.VLANFiltering) {
		add("vlan_filtering", boolStr(cur.VLANFiltering), boolStr(*b.VLANFiltering),
			attr{typ: unix.IFLA_BR_VLAN_FILTERING, val: []byte{b2u(*b.VLANFiltering)}})
	}
	if b.MulticastSnooping != nil && (l == nil || cur.MulticastSnooping != *b.MulticastSnooping) {
		add("mcast_snooping", boolStr(cur.MulticastSnooping), boolStr(*b.MulticastSnooping),
			attr{typ: unix.IFLA_BR_MCAST_SNOOPING, val: []byte{b2u(*b.MulticastSnooping)}})
	}
	return out
}

func b2u(b bool) byte {
	if b {
		return 1
	}
	return 0
}

func (d *differ) bridge(b *plan.Bridge) {
	obj := Addr(b)
	ch := Change{Address: obj, Kind: "bridge", Name: b.Name}
	l, replaced := d.existing(b, &ch, "bridge", d.liveLink(b.Name))
	if l == nil || l.Bridge == nil {
		data := bridgeData(b, nil, &ch)
		if b.MTU > 0 {
			ch.Attrs = append(ch.Attrs, AttrChange{Name: "mtu", New: strconv.Itoa(b.MTU)})
		}
		d.createLink(b, PhaseBridges, op{kind: opLinkCreate, link: b.Name, linkKind: "bridge", up: ptr(true),
			mtu: b.MTU, mac: b.MAC, data: data}, "create bridge "+b.Name)
		if b.MAC != nil {
			ch.Attrs = append(ch.Attrs, AttrChange{Name: "mac", New: b.MAC.String()})
		}
		d.arpNotify(b, &ch, nil)
		joining := d.ports(b, &ch, nil)
		d.portFlags(b, &ch, joining)
		d.bridgeVLANs(b, &ch, nil, joining)
		d.fdb(b, &ch, nil)
		d.common(b, &ch, nil, false)
		ch.Action = Create
		if replaced {
			ch.Action = Replace
		}
		d.finish(ch)
		return
	}
	if data := bridgeData(b, l.Bridge, &ch); len(data) > 0 {
		d.step(PhaseBridges, obj, "set bridge options", op{kind: opLinkSet, link: b.Name, linkKind: "bridge", data: data})
	}
	d.arpNotify(b, &ch, l)
	joining := d.ports(b, &ch, l)
	d.portFlags(b, &ch, joining)
	d.bridgeVLANs(b, &ch, l, joining)
	d.fdb(b, &ch, l)
	d.common(b, &ch, l, false)
	d.setUp(b, &ch, l, false)
	d.finish(ch)
}

// ports enslaves the planned ports that are not yet, and returns the names of the ports
// that join the bridge in this apply (their flags start at the kernel's defaults). Ports
// the plan does not name (guest taps, for one) are left alone.
func (d *differ) ports(b *plan.Bridge, ch *Change, l *live.Link) map[string]bool {
	joining := map[string]bool{}
	for _, p := range b.Ports {
		name := d.name[p]
		if d.withMaster[name] {
			joining[name] = true
			ch.Attrs = append(ch.Attrs, AttrChange{Name: "port", New: name})
			continue
		}
		cur := ""
		if pl := d.liveLink(name); pl != nil && l != nil && pl.MasterIndex == l.Index {
			cur = b.Name
		}
		if n, ok := p.(*plan.NIC); ok {
			if m := d.s.LinkByIndex(d.nicLink[n].MasterIndex); m != nil && m.Name == b.Name && l != nil {
				cur = b.Name
			}
		}
		if cur == b.Name {
			continue
		}
		joining[name] = true
		ch.Attrs = append(ch.Attrs, AttrChange{Name: "port", New: name})
		d.step(PhasePorts, Addr(b), "add port "+name+" to "+b.Name, op{kind: opLinkSet, link: name, master: ptr(b.Name)})
	}
	return joining
}

// ---- routes ----

func (d *differ) routes() {
	for _, r := range d.p.Routes {
		obj := routeAddr(r)
		ch := Change{Address: obj, Kind: "route", Name: r.To.String()}
		dev := ""
		devIdx := -1
		if r.Dev != nil {
			dev = d.name[r.Dev]
			if l := d.liveLink(dev); l != nil {
				devIdx = l.Index
			}
		}
		table := r.Table
		if table == 0 {
			table = unix.RT_TABLE_MAIN
		}
		dst := r.To.Masked()
		metric := metricFor(dst, r.Metric)
		exact := false
		var old []string
		key := routeKey{table, dst, metric}
		for _, k := range d.routeBy[key] {
			lr := d.s.Routes[k]
			if lr.Gateway == r.Via && (dev == "" || lr.OIF == devIdx) {
				exact = true
				d.keptRoute[k] = true
				if d.downed[lr.OIF] {
					d.readdRoute(obj, &d.s.Routes[k], routeText(lr.Gateway, d.s.Name(lr.OIF)))
				} else {
					d.readd(obj, lr)
				}
				continue
			}
			if lr.Protocol == live.RouteProtocol {
				d.keptRoute[k] = true
				old = append(old, routeText(lr.Gateway, d.s.Name(lr.OIF)))
				d.step(PhaseRoutesDel, obj, "delete route "+lr.Dst.String()+" "+routeText(lr.Gateway, d.s.Name(lr.OIF)),
					op{kind: opRouteDel, route: &routeSpec{Dst: lr.Dst, Gateway: lr.Gateway, Dev: d.s.Name(lr.OIF), Metric: lr.Priority, Table: lr.Table}})
			}
		}
		if !exact {
			d.foreignConflict(obj, routeText(r.Via, dev), key)
			ch.Attrs = append(ch.Attrs, AttrChange{Name: "route", Old: strings.Join(old, ", "), New: routeText(r.Via, dev)})
			d.step(PhaseRoutes, obj, "add route "+dst.String()+" "+routeText(r.Via, dev),
				op{kind: opRouteAdd, route: &routeSpec{Dst: dst, Gateway: r.Via, Dev: dev, Metric: metric, Table: table,
					Protocol: live.RouteProtocol}})
			ch.Action = Create
			if len(old) > 0 {
				ch.Action = Update
			}
		}
		d.finish(ch)
	}
	// Routes hostnet added that the plan no longer has.
	for k, lr := range d.s.Routes {
		if lr.Protocol != live.RouteProtocol || d.keptRoute[k] || d.gone[lr.OIF] {
			continue
		}
		d.objects = append(d.objects, Change{Address: "route." + lr.Dst.String(), Kind: "route", Name: lr.Dst.String(),
			Action: Delete, Attrs: []AttrChange{{Name: "route", Old: routeText(lr.Gateway, d.s.Name(lr.OIF))}},
			Reason: "added by hostnet and not in the plan"})
		d.step(PhaseRoutesDel, "route."+lr.Dst.String(), "delete route "+lr.Dst.String()+" "+routeText(lr.Gateway, d.s.Name(lr.OIF)),
			op{kind: opRouteDel, route: &routeSpec{Dst: lr.Dst, Gateway: lr.Gateway, Dev: d.s.Name(lr.OIF), Metric: lr.Priority, Table: lr.Table}})
	}
}

// readd adds a kept IPv4 route again after the addresses when its link loses an IPv4
// address in this apply (the kernel drops a link's IPv4 routes with its last IPv4 address
// and does not bring them back with the new one).
func (d *differ) readd(obj string, r live.Route) {
	dev := d.s.Name(r.OIF)
	if !r.Dst.Addr().Is4() || !d.addr4Del[dev] {
		return
	}
	d.step(PhaseRoutes, obj, "add route "+r.Dst.String()+" "+routeText(r.Gateway, dev)+" again (its link's address changes)",
		op{kind: opRouteAdd, route: &routeSpec{Dst: r.Dst, Gateway: r.Gateway, Dev: dev, Metric: r.Priority, Table: r.Table,
			Protocol: r.Protocol, Readd: true}})
}

func routeText(gw netip.Addr, dev string) string {
	var parts []string
	if gw.IsValid() {
		parts = append(parts, "via "+gw.String())
	}
	if dev != "" {
		parts = append(parts, "dev "+dev)
	}
	return strings.Join(parts, " ")
}

// ---- restore of a snapshot (package safe) ----

// DiffUnowned is Diff for a plan of which some interfaces are links hostnet does not own
// (package safe restores a pre-apply snapshot with it): no ownership mark is written on
// the links named in unowned, neither when they exist nor when they are created, so a
// later apply never takes them for its own. Their alias is the caller's to restore.
// Apply's read-back diff (plain Diff) then reports them as not converged on the mark.
func DiffUnowned(p *plan.Plan, s *live.State, unowned map[string]bool) (*Changes, error) {
	ch, err := diff(p, s, unowned)
	if err != nil || len(unowned) == 0 {
		return ch, err
	}
	steps := make([]Step, 0, len(ch.steps))
	for _, st := range ch.steps {
		o := st.op
		if unowned[o.link] && o.alias != nil && strings.HasPrefix(*o.alias, live.MarkPrefix) {
			if o.kind == opLinkSet && strings.HasPrefix(st.Desc, "mark ") {
				continue // a step that only writes the mark
			}
			o.alias = nil
			st.op = o
		}
		steps = append(steps, st)
	}
	for k := range ch.Objects {
		if !unowned[ch.Objects[k].Name] {
			continue
		}
		attrs := ch.Objects[k].Attrs[:0:0]
		for _, a := range ch.Objects[k].Attrs {
			if a.Name != "owner" {
				attrs = append(attrs, a)
			}
		}
		ch.Objects[k].Attrs = attrs
	}
	ch.steps = steps
	ch.finish()
	return ch, nil
}

// RouteFix is a route a restore puts back exactly as it was, rtm_protocol included: a
// route hostnet did not add must not come back as hostnet's (live.RouteProtocol), or the
// next apply would delete it.
type RouteFix struct {
	Dst      netip.Prefix
	Gateway  netip.Addr
	Dev      string
	Metric   int
	Table    int
	Protocol uint8
}

// BridgeFix sets a bridge's timers in centiseconds, as the kernel keeps them (a plan has
// whole seconds). Nil leaves a timer alone.
type BridgeFix struct {
	Link         string
	ForwardDelay *uint32
	AgeingTime   *uint32
}

// RestoreFixChanges turns route and bridge-timer fixes into Changes for Apply, like
// FixChanges: bridge timers, then routes (their links and addresses exist by then). Apply
// does not verify them by a re-diff; the caller reads the state back.
func RestoreFixChanges(s *live.State, routes []RouteFix, bridges []BridgeFix) *Changes {
	var steps []Step
	for _, b := range bridges {
		var data []attr
		if b.ForwardDelay != nil {
			data = append(data, attr{typ: unix.IFLA_BR_FORWARD_DELAY, val: u32(*b.ForwardDelay)})
		}
		if b.AgeingTime != nil {
			data = append(data, attr{typ: unix.IFLA_BR_AGEING_TIME, val: u32(*b.AgeingTime)})
		}
		if len(data) > 0 {
			steps = append(steps, Step{Phase: PhaseBridges, Object: "link." + b.Link, Desc: "set bridge " + b.Link + " timers",
				op: op{kind: opLinkSet, link: b.Link, linkKind: "bridge", data: data}})
		}
	}
	for _, r := range routes {
		rs := routeSpec{Dst: r.Dst, Gateway: r.Gateway, Dev: r.Dev, Metric: r.Metric, Table: r.Table, Protocol: r.Protocol}
		steps = append(steps, Step{Phase: PhaseRoutes, Object: "route." + r.Dst.String(),
			Desc: fmt.Sprintf("add route %s %s proto %d", r.Dst, routeText(r.Gateway, r.Dev), r.Protocol),
			op:   op{kind: opRouteAdd, route: &rs}})
	}
	c := &Changes{Objects: []Change{}, steps: steps, state: s}
	c.finish()
	return c
}
