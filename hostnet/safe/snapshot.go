// Package safe makes apply safe to run on a host you reach over the network it changes:
//
//   - a Snapshot of everything an apply may touch is taken and written to disk (mode 0600,
//     atomically) before the first kernel operation;
//   - on any error the snapshot is restored at once (Restore), and both the error and the
//     restore result are reported;
//   - a dead-man timer (Pending, Watch) restores the snapshot later unless the change is
//     confirmed in time, from a process detached from the SSH session that started it;
//   - a Lock lets one apply/destroy/rollback run at a time per host.
//
// Restore reuses the engine: the snapshot is turned into a plan of the previous state
// (Snapshot.Plan) and diffed against the live kernel, so deleted links are created again
// with their options, created links are deleted, slaves re-enslaved, bond modes changed
// back, addresses and routes put back, in the engine's dependency order. What a plan cannot
// express (a link's down state, the alias of a link hostnet did not create, removing a
// non-NIC bridge port, a MAC the kernel chose) is fixed afterwards by engine.FixChanges.
package safe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hostnet/hostnet/hostnet/bonding"
	"github.com/hostnet/hostnet/hostnet/engine"
	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/plan"
	"github.com/hostnet/hostnet/libvirtnet"
)

// SnapshotVersion is the on-disk format version.
const SnapshotVersion = 1

// Snapshot is the state of the links an apply may touch, taken before it starts.
type Snapshot struct {
	Version int       `json:"version"`
	Taken   time.Time `json:"taken"`
	Host    string    `json:"host"`
	Command string    `json:"command"` // "apply plan.hcl", for people reading the file
	PID     int       `json:"pid"`     // of the process that took it
	Links   []Link    `json:"links"`   // in ifindex order at the time
	Routes  []Route   `json:"routes"`  // non-kernel routes through Links, and every hostnet route
	// MayCreate names the links the apply may create (absent when the snapshot was taken).
	// Restore deletes them even when a crash came between creating one and marking it.
	MayCreate []string `json:"may_create,omitempty"`
	// Libvirt holds the libvirt networks the run changes, as they were (AddNetworks).
	Libvirt *LibvirtPart `json:"libvirt,omitempty"`
	// Normalized is live.State.Normalized() of the whole namespace when the snapshot was
	// taken; Verify compares the lines about the snapshot's links with the live state.
	Normalized []string `json:"normalized"`
	// Included is what the snapshot's read included beyond links, addresses and routes
	// (engine.Read(ns, plan): arp_notify of the plan's bridges, the FDB); Restore reads the
	// state back with the same options, so that Verify compares like with like.
	Included live.ReadOptions `json:"included,omitzero"`
	// Extra is a seam for state outside the kernel that later versions snapshot too
	// (libvirt networks): component name -> its own JSON.
	Extra map[string]json.RawMessage `json:"extra,omitempty"`

	byName   map[string]*Link   // Links by name, built on first use
	children map[string][]*Link // Links by master, in Links order
	indexed  int                // len(Links) when they were built
}

// Link is one link as the snapshot records it.
type Link struct {
	Name    string         `json:"name"`
	Kind    string         `json:"kind,omitempty"`
	MAC     string         `json:"mac,omitempty"`
	PermMAC string         `json:"perm_mac,omitempty"` // how a NIC is found again
	MTU     int            `json:"mtu"`
	Up      bool           `json:"up"`
	Master  string         `json:"master,omitempty"`
	Parent  string         `json:"parent,omitempty"` // a VLAN's real device
	Alias   string         `json:"alias,omitempty"`
	VLAN    *live.VLAN     `json:"vlan,omitempty"`
	Bridge  *live.Bridge   `json:"bridge,omitempty"`
	Bond    BondOpts       `json:"bond,omitempty"`
	Slave   *SlaveOpts     `json:"slave,omitempty"`
	Addrs   []netip.Prefix `json:"addrs,omitempty"` // not link-local
	// ARPNotify is a bridge's net.ipv4.conf.<name>.arp_notify when the snapshot's read
	// included it (the plan sets it on that bridge).
	ARPNotify *bool `json:"arp_notify,omitempty"`
	// VLANs is the VLAN membership of a bridge or bridge port when the snapshot's read
	// included it (the plan has a VLAN-aware bridge).
	VLANs *live.BridgeVLANs `json:"vlans,omitempty"`
}

// BondOpts are the options the kernel reported, by modprobe name (active_slave left out:
// it is a momentary choice).
type BondOpts map[string]bonding.Value

// SlaveOpts are a bond slave's own options.
type SlaveOpts struct {
	QueueID uint16 `json:"queue_id,omitempty"`
	Prio    int32  `json:"prio,omitempty"`
}

// Route is one route through a snapshot link.
type Route struct {
	Dst      netip.Prefix `json:"dst"`
	Gateway  netip.Addr   `json:"gateway,omitzero"`
	Dev      string       `json:"dev"`
	Table    int          `json:"table"`
	Metric   int          `json:"metric"`
	Protocol uint8        `json:"protocol"`
}

// Take records the links that applying ch (computed from p against s) may touch: the
// plan's links and NICs, every link hostnet marked and every link a hostnet route goes
// through (the engine deletes marked links and hostnet routes the plan lacks), and,
// transitively, their masters, slaves, ports, VLAN parents and VLANs. p may be nil (a
// snapshot of the marked links only).
func Take(s *live.State, p *plan.Plan, command string) *Snapshot {
	host, _ := os.Hostname()
	snap := &Snapshot{Version: SnapshotVersion, Taken: time.Now().UTC(), Host: host, Command: command,
		PID: os.Getpid(), Normalized: s.Normalized(), Included: s.Included}
	in := map[int]bool{}
	var queue []*live.Link
	add := func(l *live.Link) {
		if l != nil && !in[l.Index] && l.Name != "lo" {
			in[l.Index] = true
			queue = append(queue, l)
		}
	}
	for _, l := range s.Links {
		if _, ok := l.Mark(); ok {
			add(l)
		}
	}
	for _, r := range s.Routes {
		if r.Protocol == live.RouteProtocol {
			add(s.LinkByIndex(r.OIF))
		}
	}
	if p != nil {
		for _, n := range p.NICs {
			if l, err := s.NIC(n.MAC); err == nil {
				add(l)
			}
		}
		for _, i := range p.Interfaces() {
			if _, ok := i.(*plan.NIC); ok {
				continue
			}
			name := i.Common().Name
			if l := s.Link(name); l != nil {
				add(l)
			} else {
				snap.MayCreate = append(snap.MayCreate, name)
			}
		}
	}
	for len(queue) > 0 {
		l := queue[0]
		queue = queue[1:]
		add(s.LinkByIndex(l.MasterIndex))
		add(s.LinkByIndex(l.ParentIndex))
		for _, x := range s.Slaves(l) {
			add(x)
		}
		for _, u := range s.Uppers(l) {
			if u.Kind == "vlan" {
				add(u)
			}
		}
	}
	for _, l := range s.Links {
		if in[l.Index] {
			snap.Links = append(snap.Links, snapLink(s, l))
		}
	}
	for _, r := range s.Routes {
		if !in[r.OIF] && r.Protocol != live.RouteProtocol {
			continue
		}
		if !restorable(r) {
			continue
		}
		snap.Routes = append(snap.Routes, Route{Dst: r.Dst, Gateway: r.Gateway, Dev: s.Name(r.OIF), Table: r.Table,
			Metric: r.Priority, Protocol: r.Protocol})
	}
	return snap
}

// LibvirtPart is the libvirt side of a snapshot: the daemon and the networks as they were.
type LibvirtPart struct {
	URI      string             `json:"uri"`
	Networks []libvirtnet.Saved `json:"networks"`
}

// AddNetworks records the libvirt networks a run is about to change (libvirtnet
// Changes.Saved) at uri. A network the snapshot already holds keeps its older record: an
// interrupted run's snapshot stays the restore point.
func (snap *Snapshot) AddNetworks(uri string, saved []libvirtnet.Saved) {
	if len(saved) == 0 {
		return
	}
	if snap.Libvirt == nil {
		snap.Libvirt = &LibvirtPart{URI: uri}
	}
	for _, s := range saved {
		if !slices.ContainsFunc(snap.Libvirt.Networks, func(x libvirtnet.Saved) bool { return x.Name == s.Name }) {
			snap.Libvirt.Networks = append(snap.Libvirt.Networks, s)
		}
	}
}

// restorable tells the routes a restore puts back: unicast routes someone added, not those
// the kernel derives from addresses (proto kernel) or router advertisements (proto ra).
func restorable(r live.Route) bool {
	return r.Type == unix.RTN_UNICAST && r.Protocol != unix.RTPROT_KERNEL && r.Protocol != unix.RTPROT_RA &&
		r.Protocol != unix.RTPROT_REDIRECT && !(r.Dst.Addr().Is6() && r.Dst.Addr().IsLinkLocalUnicast())
}

func macStr(m net.HardwareAddr) string {
	if len(m) == 0 {
		return ""
	}
	return m.String()
}

func snapLink(s *live.State, l *live.Link) Link {
	out := Link{Name: l.Name, Kind: l.Kind, MAC: macStr(l.MAC), PermMAC: macStr(l.PermMAC), MTU: l.MTU, Up: l.Up(),
		Master: s.Name(l.MasterIndex), Parent: s.Name(l.ParentIndex), Alias: l.Alias, VLAN: l.VLAN, Bridge: l.Bridge,
		ARPNotify: l.ARPNotify, VLANs: l.BridgeVLANs}
	if l.BondSlave != nil {
		if len(l.BondSlave.PermMAC) > 0 {
			out.PermMAC = l.BondSlave.PermMAC.String()
		}
		if l.BondSlave.QueueID != 0 || l.BondSlave.Prio != 0 {
			out.Slave = &SlaveOpts{QueueID: l.BondSlave.QueueID, Prio: l.BondSlave.Prio}
		}
	}
	if l.Bond != nil {
		out.Bond = BondOpts{}
		for id := bonding.ID(0); id < bonding.NumOptions; id++ {
			if id != bonding.OptActiveSlave && l.Bond.Reported[id] {
				out.Bond[bonding.Table[id].Name] = l.Bond.Options.Get(id)
			}
		}
	}
	for _, a := range l.Addrs {
		if !a.LinkLocal() {
			out.Addrs = append(out.Addrs, a.Prefix)
		}
	}
	return out
}

// Names lists the snapshot's link names.
func (snap *Snapshot) Names() []string {
	out := make([]string, len(snap.Links))
	for i, l := range snap.Links {
		out[i] = l.Name
	}
	return out
}

// index builds the by-name and by-master maps once (again if Links changed length).
func (snap *Snapshot) index() {
	if snap.byName != nil && snap.indexed == len(snap.Links) {
		return
	}
	snap.indexed = len(snap.Links)
	snap.byName = make(map[string]*Link, len(snap.Links))
	snap.children = map[string][]*Link{}
	for i := range snap.Links {
		l := &snap.Links[i]
		snap.byName[l.Name] = l
		if l.Master != "" {
			snap.children[l.Master] = append(snap.children[l.Master], l)
		}
	}
}

func (snap *Snapshot) link(name string) *Link {
	snap.index()
	return snap.byName[name]
}

// Unowned names the snapshot's links that carried no ownership mark and that the engine
// would otherwise mark (bonds, bridges, VLANs): Restore writes no mark on them
// (engine.DiffUnowned), so a later apply never deletes them.
func (snap *Snapshot) Unowned() map[string]bool {
	out := map[string]bool{}
	for i := range snap.Links {
		l := &snap.Links[i]
		if !nicKind(l.Kind) && markAddr(l) == "" {
			out[l.Name] = true
		}
	}
	return out
}

// nicKind reports whether a snapshot link stands for a NIC in the plan of the previous
// state: anything that is not a bond, bridge or VLAN (veths, taps, dummies, hardware) is
// found again by MAC and never created or deleted.
func nicKind(kind string) bool { return kind != "bond" && kind != "bridge" && kind != "vlan" }

func markAddr(l *Link) string {
	addr, _ := live.ParseMark(l.Alias)
	return addr
}

// Plan turns the snapshot into a plan of the previous state, for engine.Diff against the
// live state. Each link keeps its plan address from its ownership mark, so the marks the
// engine writes are the ones the snapshot had; links hostnet did not create get
// "<kind>.<name>", but Restore diffs with engine.DiffUnowned so that no mark is ever written
// on them (Unowned), and their alias is put back by Fixes. Routes hostnet did not add are
// left out (RouteFixes puts them back with their protocol), and bridge timers that are no
// whole number of seconds are left to BridgeFixes.
func (snap *Snapshot) Plan() (*plan.Plan, error) { return snap.planOf(nil) }

// PlanFor is Plan for live state s: the snapshot's NICs, guest taps and veths that s no
// longer has (by MAC: a guest that stopped since) are left out, with what stands on them
// (VLANs, routes), instead of making the whole restore fail on a device nobody can bring
// back. Bonds and bridges keep their other slaves and ports.
func (snap *Snapshot) PlanFor(s *live.State) (*plan.Plan, error) {
	macs := liveMACs(s)
	return snap.planOf(func(l *Link) bool { return !nicKind(l.Kind) || macs[l.PermMAC] || macs[l.MAC] })
}

// liveMACs is the set of every MAC address (current, permanent, a bond slave's permanent)
// of s's NIC-kind links, as text. A NIC-kind snapshot link whose MACs are all missing is
// gone: the engine finds NICs by MAC, whatever their name now. Bonds, bridges and VLANs
// are left out: a bridge wears the lowest MAC of its ports, which may be a guest's that is
// gone. "" is never in the set.
func liveMACs(s *live.State) map[string]bool {
	out := make(map[string]bool, 2*len(s.Links))
	add := func(m net.HardwareAddr) {
		if len(m) > 0 {
			out[m.String()] = true
		}
	}
	for _, l := range s.Links {
		if !nicKind(l.Kind) {
			continue
		}
		add(l.MAC)
		add(l.PermMAC)
		if l.BondSlave != nil {
			add(l.BondSlave.PermMAC)
		}
	}
	return out
}

// planOf builds the plan; when present is not nil, NIC-kind links it rejects are left out.
func (snap *Snapshot) planOf(present func(*Link) bool) (*plan.Plan, error) {
	p := &plan.Plan{}
	ifs := map[string]plan.Interface{}
	var build func(name string) (plan.Interface, error)
	building := map[string]bool{}
	absent := map[string]bool{}
	build = func(name string) (plan.Interface, error) {
		if i, ok := ifs[name]; ok || absent[name] {
			return i, nil
		}
		l := snap.link(name)
		if l == nil {
			return nil, fmt.Errorf("snapshot: link %q is referenced but not recorded", name)
		}
		if present != nil && !present(l) {
			absent[name] = true
			return nil, nil
		}
		if building[name] {
			return nil, fmt.Errorf("snapshot: link %q is stacked on itself", name)
		}
		building[name] = true
		c := plan.Iface{Name: l.Name, MTU: l.MTU}
		c.Addr = markAddr(l)
		for _, a := range l.Addrs {
			c.Addresses = append(c.Addresses, a)
		}
		var i plan.Interface
		switch l.Kind {
		case "bond":
			c.Kind = plan.KindBond
			b := &plan.Bond{Iface: c}
			if err := bondOptions(l, &b.Options); err != nil {
				return nil, err
			}
			for _, sl := range snap.slaves(l) {
				x, err := build(sl.Name)
				if err != nil {
					return nil, err
				}
				if x == nil {
					continue // gone from the host
				}
				n, ok := x.(*plan.NIC)
				if !ok {
					return nil, fmt.Errorf("snapshot: bond %s has slave %s of kind %s", l.Name, sl.Name, sl.Kind)
				}
				s := plan.Slave{NIC: n}
				if sl.Slave != nil {
					q, pr := sl.Slave.QueueID, sl.Slave.Prio
					s.QueueID, s.Prio = &q, &pr
				}
				b.Slaves = append(b.Slaves, s)
			}
			p.Bonds = append(p.Bonds, b)
			i = b
		case "bridge":
			c.Kind = plan.KindBridge
			br := &plan.Bridge{Iface: c}
			if o := l.Bridge; o != nil {
				br.STP = o.STPState != 0
				// A plan has whole seconds; other values are put back in centiseconds by
				// BridgeFixes.
				if o.ForwardDelay%100 == 0 {
					fd := int(o.ForwardDelay / 100)
					br.ForwardDelay = &fd
				}
				if o.AgeingTime%100 == 0 {
					age := int(o.AgeingTime / 100)
					br.AgeingTime = &age
				}
				vf, ms := o.VLANFiltering, o.MulticastSnooping
				br.VLANFiltering, br.MulticastSnooping = &vf, &ms
			}
			if l.ARPNotify != nil {
				on := *l.ARPNotify
				br.ARPNotify = &on
			}
			br.VLANs = planVLANs(l.VLANs)
			for _, port := range snap.children[l.Name] {
				x, err := build(port.Name)
				if err != nil {
					return nil, err
				}
				if x != nil { // nil: gone from the host
					br.Ports = append(br.Ports, x)
					if v := planVLANs(port.VLANs); v != nil {
						br.PortFlags = append(br.PortFlags, &plan.PortFlags{Link: x, VLANs: v})
					}
				}
			}
			p.Bridges = append(p.Bridges, br)
			i = br
		case "vlan":
			c.Kind = plan.KindVLAN
			v := &plan.VLAN{Iface: c}
			if l.VLAN != nil {
				v.ID = l.VLAN.ID
				if l.VLAN.Protocol == unix.ETH_P_8021AD {
					v.Protocol = "802.1ad"
				}
			}
			parent, err := build(l.Parent)
			if err != nil {
				return nil, err
			}
			if parent == nil { // its NIC is gone, and the VLAN with it
				absent[name] = true
				return nil, nil
			}
			v.Link = parent
			p.VLANs = append(p.VLANs, v)
			i = v
		default:
			c.Kind = plan.KindNIC
			mac := l.PermMAC
			if mac == "" {
				mac = l.MAC
			}
			hw, err := net.ParseMAC(mac)
			if err != nil {
				return nil, fmt.Errorf("snapshot: link %s has no MAC to find it by", l.Name)
			}
			c.MAC = hw
			if c.Addr == "" {
				c.Addr = "nic." + l.Name
			}
			n := &plan.NIC{Iface: c, Rename: true}
			p.NICs = append(p.NICs, n)
			i = n
		}
		if i.Common().Addr == "" {
			i.Common().Addr = string(i.Common().Kind) + "." + l.Name
		}
		ifs[name] = i
		return i, nil
	}
	for _, l := range snap.Links {
		if _, err := build(l.Name); err != nil {
			return nil, err
		}
	}
	// Hostnet's default routes through a link are its gateway (the engine owns them there);
	// its other routes are routes of the plan. Routes hostnet did not add are not in the
	// plan (the engine would add them as hostnet's): RouteFixes puts them back with their
	// own protocol.
	for _, r := range snap.Routes {
		dev := ifs[r.Dev]
		if dev == nil || r.Protocol != live.RouteProtocol {
			continue
		}
		c := dev.Common()
		if r.Dst.Bits() == 0 && r.Table == unix.RT_TABLE_MAIN && r.Gateway.IsValid() && !c.Gateway.IsValid() &&
			r.Metric == defaultMetric(r.Dst) {
			c.Gateway = r.Gateway
			continue
		}
		p.Routes = append(p.Routes, &plan.Route{Source: plan.Source{Addr: "route." + r.Dst.String()}, Name: r.Dst.String(),
			To: r.Dst, Via: r.Gateway, Dev: dev, Metric: r.Metric, Table: r.Table})
	}
	return p, nil
}

// planVLANs is a recorded VLAN membership as a plan writes it (nil stays nil): the engine
// then puts back exactly the VLANs the bridge or port had.
func planVLANs(v *live.BridgeVLANs) *plan.VLANs {
	if v == nil {
		return nil
	}
	u := v.Untagged
	u.Remove(v.PVID)
	return &plan.VLANs{VIDs: v.VIDs, PVID: v.PVID, Untagged: u}
}

func defaultMetric(dst netip.Prefix) int {
	if dst.Addr().Is6() {
		return 1024
	}
	return 0
}

// slaves lists a bond's slaves, the one whose MAC the bond wears first: the kernel gives a
// bond the MAC of its first slave, so re-enslaving in that order gives it back its MAC.
func (snap *Snapshot) slaves(b *Link) []*Link {
	snap.index()
	out := slices.Clone(snap.children[b.Name])
	sort.SliceStable(out, func(i, j int) bool { return out[i].PermMAC == b.MAC && out[j].PermMAC != b.MAC })
	return out
}

// bondOptions sets the options a re-created bond needs: the mode, and every reported option
// whose value differs from the mode's default. Options the kernel refuses in the mode are
// left out (they cannot be set, so they are not put back either).
func bondOptions(l *Link, o *bonding.Options) error {
	mode, ok := l.Bond["mode"]
	if !ok {
		return fmt.Errorf("snapshot: bond %s has no mode", l.Name)
	}
	o.Set(bonding.OptMode, mode)
	m := bonding.Mode(mode.Num)
	for name, v := range l.Bond {
		opt, ok := bonding.Lookup(name)
		if !ok {
			continue
		}
		id := opt.ID
		if id == bonding.OptMode || id == bonding.OptActiveSlave {
			continue
		}
		if opt.Refused && !opt.Modes.Has(m) {
			continue
		}
		if v.Equal(bonding.Value{Num: bonding.DefaultFor(id, m)}) || (opt.Kind == bonding.KindMAC && v.MAC == nil) {
			continue
		}
		o.Set(id, v)
	}
	return nil
}

// Adopt prepares live state s for diffing against the snapshot's plan: a link the apply
// may have created (MayCreate) that is not in the snapshot but carries no mark (a crash
// came between its creation and its marking) is marked in memory, so that the engine
// deletes it as it deletes every marked link the plan lacks. Nothing is sent to the kernel.
func (snap *Snapshot) Adopt(s *live.State) {
	for _, name := range snap.MayCreate {
		l := s.Link(name)
		if l == nil || snap.link(name) != nil || nicKind(l.Kind) {
			continue
		}
		if _, ok := l.Mark(); !ok {
			l.Alias = engine.Mark("link." + name)
		}
	}
}

// Fixes lists, after the engine restored the snapshot's plan, what still differs on the
// snapshot's links in ways a plan cannot express: master (a port the plan would not
// remove), MTU, MAC, alias, up/down.
func (snap *Snapshot) Fixes(s *live.State) []engine.LinkFix {
	var out []engine.LinkFix
	for i := range snap.Links {
		want := &snap.Links[i]
		l := s.Link(want.Name)
		if l == nil {
			continue
		}
		if nicKind(want.Kind) && !sameDevice(want, l) {
			continue // another device under the name (libvirt reuses vnetN for the next guest)
		}
		f := engine.LinkFix{Link: want.Name}
		need := false
		if m := s.Name(l.MasterIndex); m != want.Master && (want.Master == "" || s.Link(want.Master) != nil) {
			f.Master, need = &want.Master, true
		}
		if l.MTU != want.MTU && want.MTU > 0 && l.BondSlave == nil {
			f.MTU, need = want.MTU, true
		}
		if hw, err := net.ParseMAC(want.MAC); err == nil && !bytes.Equal(hw, l.MAC) && l.BondSlave == nil && want.Kind != "vlan" {
			f.MAC, need = hw, true
		}
		if l.Alias != want.Alias {
			f.Alias, need = &want.Alias, true
		}
		if l.Up() != want.Up {
			up := want.Up
			f.Up, need = &up, true
		}
		if need {
			out = append(out, f)
		}
	}
	return out
}

// sameDevice reports whether live link l is the device snapshot link want recorded: one of
// want's MACs is one of l's.
func sameDevice(want *Link, l *live.Link) bool {
	have := []net.HardwareAddr{l.MAC, l.PermMAC}
	if l.BondSlave != nil {
		have = append(have, l.BondSlave.PermMAC)
	}
	for _, m := range []string{want.PermMAC, want.MAC} {
		for _, h := range have {
			if m != "" && len(h) > 0 && m == h.String() {
				return true
			}
		}
	}
	return false
}

type routeKey struct {
	dst      netip.Prefix
	gw       netip.Addr
	dev      string
	metric   int
	table    int
	protocol uint8
}

// RouteFixes lists the snapshot's routes that hostnet did not add and that live state s
// lacks, to be put back with their own protocol (engine.RestoreFixChanges).
func (snap *Snapshot) RouteFixes(s *live.State) []engine.RouteFix {
	have := make(map[routeKey]bool, len(s.Routes))
	for _, r := range s.Routes {
		have[routeKey{r.Dst, r.Gateway, s.Name(r.OIF), r.Priority, r.Table, r.Protocol}] = true
	}
	var out []engine.RouteFix
	for _, r := range snap.Routes {
		if r.Protocol == live.RouteProtocol || s.Link(r.Dev) == nil ||
			have[routeKey{r.Dst, r.Gateway, r.Dev, r.Metric, r.Table, r.Protocol}] {
			continue
		}
		out = append(out, engine.RouteFix{Dst: r.Dst, Gateway: r.Gateway, Dev: r.Dev, Metric: r.Metric,
			Table: r.Table, Protocol: r.Protocol})
	}
	return out
}

// BridgeFixes lists the bridge timers of the snapshot that differ in s, in centiseconds (a
// plan has whole seconds only).
func (snap *Snapshot) BridgeFixes(s *live.State) []engine.BridgeFix {
	var out []engine.BridgeFix
	for i := range snap.Links {
		want := &snap.Links[i]
		l := s.Link(want.Name)
		if want.Bridge == nil || l == nil || l.Bridge == nil {
			continue
		}
		f := engine.BridgeFix{Link: want.Name}
		if l.Bridge.ForwardDelay != want.Bridge.ForwardDelay {
			v := want.Bridge.ForwardDelay
			f.ForwardDelay = &v
		}
		if l.Bridge.AgeingTime != want.Bridge.AgeingTime {
			v := want.Bridge.AgeingTime
			f.AgeingTime = &v
		}
		if f.ForwardDelay != nil || f.AgeingTime != nil {
			out = append(out, f)
		}
	}
	return out
}

// Verify compares the live state with the snapshot on the snapshot's links, the links it
// may have created, and routes through them: the differing lines of live.State.Normalized(),
// "- " before for what the snapshot had, "+ " for what the host has now. Normalized names
// links instead of giving their ifindex, so a link that was deleted and created again
// compares equal when everything else is.
func (snap *Snapshot) Verify(s *live.State) []string {
	names := map[string]bool{}
	inSnap := map[string]bool{}
	macs := liveMACs(s)
	for i := range snap.Links {
		l := &snap.Links[i]
		inSnap[l.Name] = true
		// A NIC-kind link whose device is gone (a guest's tap, the guest stopped) cannot
		// be restored and is no difference a restore could make.
		if !nicKind(l.Kind) || macs[l.PermMAC] || macs[l.MAC] {
			names[l.Name] = true
		}
	}
	for _, n := range snap.MayCreate {
		names[n] = true
	}
	then := normalizedLinks(snap.Normalized)
	// Links that exist now but did not then, on the snapshot's links (created by the apply).
	// A tap or veth that nobody marked is not the apply's: a guest that started since.
	for _, l := range s.Links {
		if _, marked := l.Mark(); nicKind(l.Kind) && !marked && !inSnap[l.Name] {
			continue
		}
		if names[s.Name(l.MasterIndex)] || names[s.Name(l.ParentIndex)] {
			if !inSnap[l.Name] && !then[l.Name] {
				names[l.Name] = true
			}
		}
	}
	relevant := func(lines []string) []string {
		var out []string
		for _, line := range lines {
			if lineAbout(line, names) {
				out = append(out, line)
			}
		}
		return out
	}
	before, after := relevant(NormalizeInert(snap.Normalized)), relevant(Normalized(s))
	return live.DiffNormalized(before, after)
}

// Normalized is s.Normalized() with NormalizeInert applied: what Verify compares.
func Normalized(s *live.State) []string { return NormalizeInert(s.Normalized()) }

// NormalizeInert drops, from the bond lines of live.State.Normalized() output, the options
// the kernel refuses in the bond's mode (lacp_rate, ad_select, ... outside 802.3ad;
// packets_per_slave outside balance-rr; see bonding.Option.Refused). They are inert: the
// kernel keeps the value a previous mode left and reports it, but it has no effect and
// cannot be set in this mode, so a restore that changed the mode back cannot put it back
// and a difference there is no difference in behaviour. Everything else is compared as is.
func NormalizeInert(lines []string) []string {
	out := make([]string, 0, len(lines))
	for _, line := range lines {
		if !strings.HasPrefix(line, "link ") || !strings.Contains(line, ` kind="bond" `) {
			out = append(out, line)
			continue
		}
		f := strings.Fields(line)
		mode := bonding.Mode(0)
		for _, kv := range f {
			if v, ok := strings.CutPrefix(kv, "mode="); ok {
				if m, err := bonding.Table[bonding.OptMode].ParseEnum(v); err == nil {
					mode = bonding.Mode(m)
				}
			}
		}
		kept := f[:0]
		for _, kv := range f {
			name, _, ok := strings.Cut(kv, "=")
			if o, known := bonding.Lookup(name); ok && known && o.Refused && !o.Modes.Has(mode) {
				continue
			}
			kept = append(kept, kv)
		}
		out = append(out, strings.Join(kept, " "))
	}
	return out
}

// normalizedLinks names the links of Normalized lines.
func normalizedLinks(lines []string) map[string]bool {
	out := map[string]bool{}
	for _, l := range lines {
		if rest, ok := strings.CutPrefix(l, "link "); ok {
			if name, _, ok := strings.Cut(rest, " "); ok {
				out[name] = true
			}
		}
	}
	return out
}

// lineAbout reports whether a Normalized line is about one of the named links: a link or
// addr line by its name, a route by its device.
func lineAbout(line string, names map[string]bool) bool {
	f := strings.Fields(line)
	if len(f) < 2 {
		return false
	}
	switch f[0] {
	case "link", "addr":
		return names[f[1]]
	case "route":
		for i := 0; i+1 < len(f); i++ {
			if f[i] == "dev" {
				return names[f[i+1]]
			}
		}
	}
	return false
}

// Save writes the snapshot to path atomically (a temporary file in the same directory,
// fsync, rename, fsync of the directory), mode 0600.
func (snap *Snapshot) Save(path string) error {
	b, err := json.MarshalIndent(snap, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(path, b)
}

// LoadSnapshot reads a snapshot written by Save.
func LoadSnapshot(path string) (*Snapshot, error) {
	b, err := readState(path)
	if err != nil {
		return nil, err
	}
	var snap Snapshot
	if err := json.Unmarshal(b, &snap); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if snap.Version != SnapshotVersion {
		return nil, fmt.Errorf("%s: snapshot version %d, this hostnet reads %d", path, snap.Version, SnapshotVersion)
	}
	return &snap, nil
}

func writeAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	if err := checkDir(dir); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
