package watch

import (
	"cmp"
	"fmt"
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
	for _, u := range uplinks {
		entries := byBridge[u.bridge]
		slices.SortFunc(entries, func(a, b fdbKey) int {
			return cmp.Or(cmp.Compare(a.mac, b.mac), cmp.Compare(a.vlan, b.vlan), cmp.Compare(a.port, b.port))
		})
		for _, e := range entries {
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
			add(net.HardwareAddr(e.mac), tag, ips[neighKey2{u.bridge, e.mac}])
		}
	}
	// The bridges' own MACs and addresses last: the kernel does not
	// announce them either (the bond's notification stops at the bond).
	for _, u := range uplinks {
		if len(u.bridgeMAC) == 6 {
			add(u.bridgeMAC, u.tag, slices.Clone(c.addrs[u.bridge]))
		}
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
	sent := 0
	send := func(f []byte) bool {
		if sent >= cfg.MaxFrames {
			st.Skipped++
			return false
		}
		sent++
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
