package watch

import (
	"cmp"
	"fmt"
	"maps"
	"net"
	"slices"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// uplink is one way the bond reaches a bridge: directly as its port, or
// through a VLAN device on the bond that is the port (frames for that
// bridge leave the bond tagged).
type uplink struct {
	bridge    int // ifindex
	bridgeMAC net.HardwareAddr
	port      int    // ifindex of the bridge port: the bond or the VLAN device
	tag       uint16 // VLAN of the VLAN device; 0 when the bond is the port
}

// announcement is one MAC to announce on the bond, with the VLAN tag its
// frames carry and the IPv4 addresses known for it.
type announcement struct {
	mac net.HardwareAddr
	tag uint16
	ips []net.IP
}

// plan collects what to announce for the bond with ifindex bond from the cache. It reads
// from the kernel only on a VLAN-filtering bridge with VLAN entries: the ports' VLAN tables.
func (c *cache) plan(bond int) (uplinks []uplink, out []announcement, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	bridgeOf := func(l *cLink) *cLink {
		if m := c.links[l.master]; m != nil && m.kind == "bridge" {
			return m
		}
		return nil
	}
	b := c.links[bond]
	if b == nil {
		return nil, nil, fmt.Errorf("bond ifindex %d is gone", bond)
	}
	if br := bridgeOf(b); br != nil {
		uplinks = append(uplinks, uplink{bridge: b.master, bridgeMAC: br.mac, port: bond})
	}
	for i, l := range c.links {
		// 802.1ad (QinQ) uppers are left out: their outer tag is not 0x8100.
		if l.kind != "vlan" || l.parent != bond || (l.vlanProto != unix.ETH_P_8021Q && l.vlanProto != 0) {
			continue
		}
		if br := bridgeOf(l); br != nil {
			uplinks = append(uplinks, uplink{bridge: l.master, bridgeMAC: br.mac, port: i, tag: l.vlanID})
		}
	}
	if len(uplinks) == 0 {
		return nil, nil, nil
	}
	// Map order is random: the bond's own bridge first, then by port, for stable frames.
	slices.SortFunc(uplinks, func(a, b uplink) int { return cmp.Or(cmp.Compare(a.tag, b.tag), cmp.Compare(a.port, b.port)) })

	onBridge := map[int]bool{}
	for _, u := range uplinks {
		onBridge[u.bridge] = true
	}
	byBridge := map[int][]fdbKey{}
	needVlans := false
	for k := range c.fdb {
		if onBridge[k.bridge] {
			byBridge[k.bridge] = append(byBridge[k.bridge], k)
			needVlans = needVlans || k.vlan != 0
		}
	}
	// On a VLAN-filtering bridge the bond port's VLAN table decides whether
	// an entry's VLAN leaves tagged, untagged, or not at all.
	var portVlans map[int32][]*nl.BridgeVlanInfo
	if needVlans {
		if portVlans, err = netlink.BridgeVlanList(); err != nil {
			return uplinks, nil, err
		}
	}
	ips := map[neighKey2][]net.IP{}
	for k, mac := range c.neighs {
		if onBridge[k.link] {
			nk := neighKey2{k.link, mac}
			ips[nk] = append(ips[nk], net.IP(slices.Clone(k.ip[:])))
		}
	}

	type key struct {
		mac string
		tag uint16
	}
	seen := map[key]bool{}
	add := func(mac net.HardwareAddr, tag uint16, ip []net.IP) {
		k := key{string(mac), tag}
		if seen[k] {
			return
		}
		seen[k] = true
		out = append(out, announcement{mac: mac, tag: tag, ips: ip})
	}
	// The bridges' own MACs and addresses first: the kernel does not announce them (the
	// bond's notification stops at the bond), and they are the host's own.
	for _, u := range uplinks {
		if len(u.bridgeMAC) == 6 {
			add(u.bridgeMAC, u.tag, slices.Clone(c.addrs[u.bridge]))
		}
	}
	// Then the stations behind the bridges' other ports, taking one MAC of each port in turn,
	// each port's most recently active first: when MaxFrames cuts the list, every port has
	// had its fair share of it, so a guest flooding fake MACs crowds out no other guest.
	type station struct {
		mac    string
		tag    uint16
		active time.Time
	}
	type portKey struct{ bridge, port int }
	byPort := map[portKey][]station{}
	for _, u := range uplinks {
		for _, e := range byBridge[u.bridge] {
			// Only stations behind the bridge's other ports: never what
			// was learned through the bond itself (the switch's side).
			if e.port == u.port || e.port == u.bridge {
				continue
			}
			tag := u.tag
			if e.vlan != 0 && u.tag == 0 {
				t, ok := egressTag(portVlans[int32(u.port)], e.vlan)
				if !ok {
					continue // that VLAN does not leave through the bond
				}
				tag = t
			}
			pk := portKey{u.bridge, e.port}
			byPort[pk] = append(byPort[pk], station{e.mac, tag, c.fdb[e]})
		}
	}
	ports := slices.SortedFunc(maps.Keys(byPort), func(a, b portKey) int {
		return cmp.Or(cmp.Compare(a.bridge, b.bridge), cmp.Compare(a.port, b.port))
	})
	for _, pk := range ports {
		slices.SortFunc(byPort[pk], func(a, b station) int {
			return cmp.Or(b.active.Compare(a.active), cmp.Compare(a.mac, b.mac), cmp.Compare(a.tag, b.tag))
		})
	}
	for round := 0; len(ports) > 0; round++ {
		left := ports[:0]
		for _, pk := range ports {
			st := byPort[pk]
			a := st[round]
			add(net.HardwareAddr(a.mac), a.tag, ips[neighKey2{pk.bridge, a.mac}])
			if round+1 < len(st) {
				left = append(left, pk)
			}
		}
		ports = left
	}
	return uplinks, out, nil
}

// neighKey2 is an IPv4 neighbour's link and MAC, to find a MAC's addresses.
type neighKey2 struct {
	link int
	mac  string
}

// egressTag is the tag a frame of vid carries out of a port with the
// given VLAN table: 0 when the port sends vid untagged; !ok when vid is
// not on the port (or the table is unknown: then vid, tagged).
func egressTag(table []*nl.BridgeVlanInfo, vid uint16) (uint16, bool) {
	if table == nil {
		return vid, true
	}
	for _, v := range table {
		if v.Vid == vid {
			if v.Flags&nl.BRIDGE_VLAN_INFO_UNTAGGED != 0 {
				return 0, true
			}
			return vid, true
		}
	}
	return 0, false
}

// announce sends the learning frames for one bond.
func announce(bond int, cfg Config, c *cache) (Stats, error) {
	start := time.Now()
	var st Stats
	uplinks, anns, err := c.plan(bond)
	st.Read = time.Since(start)
	st.Bridges = len(uplinks)
	if err != nil {
		st.Took = time.Since(start)
		return st, err
	}
	st.MACs = len(anns)
	if len(anns) == 0 {
		st.Took = time.Since(start)
		return st, nil
	}
	s, err := openSender(bond, cfg.FramesPerMs)
	if err != nil {
		st.Took = time.Since(start)
		return st, err
	}
	defer s.close()
	anns, st.Skipped = capFrames(anns, cfg.MaxFrames)
	send := func(f []byte) bool {
		if err := s.send(f); err != nil {
			st.SendError++
			return false
		}
		return true
	}
	for _, a := range anns {
		if send(rarpFrame(a.mac, a.tag)) {
			st.RARP++
		}
		for _, ip := range a.ips {
			if send(garpFrame(a.mac, ip, a.tag)) {
				st.GARP++
			}
		}
	}
	st.Took = time.Since(start)
	return st, nil
}

// capFrames keeps the announcements, in order, whose frames (a RARP, then a GARP per
// address) fit in max, and counts the frames left out.
func capFrames(anns []announcement, max int) (kept []announcement, skipped int) {
	n := 0
	for i, a := range anns {
		if n >= max {
			for _, a := range anns[i:] {
				skipped += 1 + len(a.ips)
			}
			return anns[:i], skipped
		}
		n++
		if room := max - n; len(a.ips) > room {
			skipped += len(a.ips) - room
			a.ips = a.ips[:room]
			kept = append(anns[:i:i], a)
			for _, a := range anns[i+1:] {
				skipped += 1 + len(a.ips)
			}
			return kept, skipped
		}
		n += len(a.ips)
	}
	return anns, 0
}

// sender is a send-only AF_PACKET socket bound to the bond: protocol 0
// means the kernel delivers it no received frame at all.
type sender struct {
	fd      int
	sa      *unix.SockaddrLinklayer
	perMs   int
	window  time.Time
	inWindo int
}

func openSender(ifindex, perMs int) (*sender, error) {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("packet socket: %w", err)
	}
	sa := &unix.SockaddrLinklayer{Ifindex: ifindex, Halen: 6}
	copy(sa.Addr[:], broadcast)
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Ifindex: ifindex}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("packet socket bind: %w", err)
	}
	return &sender{fd: fd, sa: sa, perMs: perMs}, nil
}

// send transmits one frame, first waiting for the next millisecond window
// when this one already had perMs frames.
func (s *sender) send(f []byte) error {
	now := time.Now()
	if now.Sub(s.window) >= time.Millisecond {
		s.window, s.inWindo = now, 0
	}
	if s.inWindo >= s.perMs {
		time.Sleep(time.Millisecond - now.Sub(s.window))
		s.window, s.inWindo = time.Now(), 0
	}
	s.inWindo++
	return unix.Sendto(s.fd, f, 0, s.sa)
}

func (s *sender) close() { unix.Close(s.fd) }
