package watch

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/hostnet/hostnet/bridge"
)

// cache holds what an announcement needs — the links (which bridges a bond reaches, as
// their port or through a VLAN), the bridges' FDB, the IPv4 neighbours and addresses — and
// is kept current from the watcher's rtnetlink events. A failover then reads nothing from
// the kernel: before it, each announcement dumped every link, FDB entry, neighbour and
// address of the host, which took ~115 ms with 500 VLAN bridges in the lab
// (BENCHMARKS.md). load fills it with one dump each, at start and after lost events.
type cache struct {
	mu    sync.Mutex
	links map[int]*cLink
	// fdb holds the learned (not local) entries by bridge, port, MAC, VLAN, with when the
	// bridge last saw the MAC active: at load from the entry's age, since then the time of
	// the event (the kernel notifies a MAC newly learned or moved, not each frame of it).
	fdb    map[fdbKey]time.Time
	neighs map[neighKey]string // MAC of each IPv4 binding the kernel holds as current, by link and IP
	addrs  map[int][]net.IP    // IPv4 addresses by link
}

type cLink struct {
	kind      string
	master    int
	parent    int
	vlanID    uint16
	vlanProto uint16
	mac       net.HardwareAddr
}

type fdbKey struct {
	bridge, port int
	mac          string
	vlan         uint16
}

type neighKey struct {
	link int
	ip   [4]byte
}

func newCache() *cache { return &cache{} }

// load replaces the cache's content with one dump each of links, FDB, neighbours and
// addresses. The event socket is open before it is called, so no change is missed.
func (c *cache) load() error {
	links, err := netlink.LinkList()
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		return fmt.Errorf("watch: link dump: %w", err)
	}
	fdb, err := bridge.FDBAll()
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		return fmt.Errorf("watch: %w", err)
	}
	neighs, err := netlink.NeighList(0, unix.AF_INET)
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		return fmt.Errorf("watch: neighbour dump: %w", err)
	}
	addrs, err := netlink.AddrList(nil, netlink.FAMILY_V4)
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		return fmt.Errorf("watch: address dump: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.links = make(map[int]*cLink, len(links))
	c.fdb = map[fdbKey]time.Time{}
	now := time.Now()
	c.neighs = map[neighKey]string{}
	c.addrs = map[int][]net.IP{}
	for _, l := range links {
		a := l.Attrs()
		cl := &cLink{kind: l.Type(), master: a.MasterIndex, parent: a.ParentIndex, mac: a.HardwareAddr}
		if v, ok := l.(*netlink.Vlan); ok {
			cl.vlanID, cl.vlanProto = uint16(v.VlanId), uint16(v.VlanProtocol)
			if cl.vlanProto == 0 {
				cl.vlanProto = unix.ETH_P_8021Q
			}
		}
		c.links[a.Index] = cl
	}
	for _, e := range fdb {
		if e.Learned() {
			c.fdb[fdbKey{e.Bridge, e.Port, string(e.MAC), e.VLAN}] = now.Add(-e.Idle)
		}
	}
	for _, n := range neighs {
		c.neigh(neighMsg{Family: unix.AF_INET, Index: n.LinkIndex, State: uint16(n.State), MAC: n.HardwareAddr, IP: n.IP})
	}
	for _, a := range addrs {
		if ip := a.IP.To4(); ip != nil {
			c.addrs[a.LinkIndex] = append(c.addrs[a.LinkIndex], ip)
		}
	}
	return nil
}

// apply takes one datagram's events.
func (c *cache) apply(b batch) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	for _, m := range b.links {
		if m.Bridge {
			continue // a bridge's view of its port: not the link's own attributes
		}
		if m.Deleted {
			delete(c.links, m.Index)
			delete(c.addrs, m.Index)
			continue
		}
		c.links[m.Index] = &cLink{kind: m.Kind, master: m.Master, parent: m.Parent, vlanID: m.VLANID, vlanProto: m.VLANProto, mac: m.MAC}
	}
	for _, n := range b.neighs {
		switch n.Family {
		case unix.AF_BRIDGE:
			if n.Master == 0 || n.Flags&unix.NTF_SELF != 0 || len(n.MAC) != 6 {
				continue
			}
			k := fdbKey{n.Master, n.Index, string(n.MAC), n.VLAN}
			e := bridge.FDBEntry{MAC: n.MAC, Local: n.State&unix.NUD_PERMANENT != 0}
			if n.Deleted || !e.Learned() {
				delete(c.fdb, k)
			} else {
				c.fdb[k] = now
			}
		case unix.AF_INET:
			c.neigh(n)
		}
	}
	for _, a := range b.addrs {
		ips := c.addrs[a.Index]
		for i, ip := range ips {
			if ip.Equal(a.IP) {
				ips = append(ips[:i], ips[i+1:]...)
				break
			}
		}
		if !a.Deleted && a.IP != nil {
			ips = append(ips, a.IP)
		}
		c.addrs[a.Index] = ips
	}
}

// neigh records or drops one IPv4 neighbour; c.mu is held (or c is being loaded). Only
// bindings the kernel holds as current count: a STALE, DELAY or PROBE entry may name a MAC
// the IP has since moved away from (a VIP, a migrated guest), and a gratuitous ARP for it
// would poison upstream caches. Those MACs still get their RARP, which carries no IP.
func (c *cache) neigh(n neighMsg) {
	ip := n.IP.To4()
	if ip == nil {
		return
	}
	k := neighKey{link: n.Index, ip: [4]byte(ip)}
	if n.Deleted || len(n.MAC) != 6 || n.State&(unix.NUD_REACHABLE|unix.NUD_PERMANENT) == 0 {
		delete(c.neighs, k)
		return
	}
	c.neighs[k] = string(n.MAC)
}
