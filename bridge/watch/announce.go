package watch

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/hostnet/hostnet/bridge"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// uplink is one way the bond reaches a bridge: directly as its port, or
// through a VLAN device on the bond that is the port (frames for that
// bridge leave the bond tagged).
type uplink struct {
	bridge netlink.Link
	port   int    // ifindex of the bridge port: the bond or the VLAN device
	tag    uint16 // VLAN of the VLAN device; 0 when the bond is the port
}

// announcement is one MAC to announce on the bond, with the VLAN tag its
// frames carry and the IPv4 addresses known for it.
type announcement struct {
	mac net.HardwareAddr
	tag uint16
	ips []net.IP
}

// plan collects what to announce for the bond with ifindex bond, from one
// dump each of links, FDB, neighbours and addresses.
func plan(bond int) (uplinks []uplink, out []announcement, err error) {
	links, err := netlink.LinkList()
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		return nil, nil, err
	}
	byIndex := map[int]netlink.Link{}
	for _, l := range links {
		byIndex[l.Attrs().Index] = l
	}
	bridgeOf := func(l netlink.Link) netlink.Link {
		if m, ok := byIndex[l.Attrs().MasterIndex].(*netlink.Bridge); ok {
			return m
		}
		return nil
	}
	b, ok := byIndex[bond]
	if !ok {
		return nil, nil, fmt.Errorf("bond ifindex %d is gone", bond)
	}
	if br := bridgeOf(b); br != nil {
		uplinks = append(uplinks, uplink{bridge: br, port: bond})
	}
	for _, l := range links {
		v, ok := l.(*netlink.Vlan)
		// 802.1ad (QinQ) uppers are left out: their outer tag is not 0x8100.
		if !ok || v.ParentIndex != bond || (v.VlanProtocol != netlink.VLAN_PROTOCOL_8021Q && v.VlanProtocol != netlink.VLAN_PROTOCOL_UNKNOWN) {
			continue
		}
		if br := bridgeOf(v); br != nil {
			uplinks = append(uplinks, uplink{bridge: br, port: v.Index, tag: uint16(v.VlanId)})
		}
	}
	if len(uplinks) == 0 {
		return nil, nil, nil
	}

	fdb, err := bridge.FDBAll()
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		return uplinks, nil, err
	}
	byBridge := map[int][]bridge.FDBEntry{}
	needVlans := false
	for _, e := range fdb {
		byBridge[e.Bridge] = append(byBridge[e.Bridge], e)
		needVlans = needVlans || e.VLAN != 0
	}
	// On a VLAN-filtering bridge the bond port's VLAN table decides whether
	// an entry's VLAN leaves tagged, untagged, or not at all.
	var portVlans map[int32][]*nl.BridgeVlanInfo
	if needVlans {
		if portVlans, err = netlink.BridgeVlanList(); err != nil {
			return uplinks, nil, err
		}
	}
	type ipKey struct {
		link int
		mac  string
	}
	ips := map[ipKey][]net.IP{}
	if neighs, err := netlink.NeighList(0, unix.AF_INET); err == nil {
		for _, n := range neighs {
			// Only bindings the kernel holds as current: a STALE, DELAY or PROBE entry may
			// name a MAC the IP has since moved away from (a VIP, a migrated guest), and a
			// gratuitous ARP for it would poison upstream caches. Those MACs still get
			// their RARP, which carries no IP.
			if n.State&(netlink.NUD_REACHABLE|netlink.NUD_PERMANENT) == 0 || len(n.HardwareAddr) != 6 || n.IP.To4() == nil {
				continue
			}
			k := ipKey{n.LinkIndex, string(n.HardwareAddr)}
			ips[k] = append(ips[k], n.IP.To4())
		}
	}
	own := map[int][]net.IP{}
	if addrs, err := netlink.AddrList(nil, netlink.FAMILY_V4); err == nil {
		for _, a := range addrs {
			own[a.LinkIndex] = append(own[a.LinkIndex], a.IP.To4())
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
	// The bridges' own MACs and addresses first: the kernel does not announce them either
	// (the bond's notification stops at the bond), and they must not be the ones a full
	// MaxFrames budget skips.
	for _, u := range uplinks {
		if mac := u.bridge.Attrs().HardwareAddr; len(mac) == 6 {
			add(mac, u.tag, own[u.bridge.Attrs().Index])
		}
	}
	// Then the stations, one port at a time in turn (fairShare): a guest that floods the
	// FDB with made-up MACs gets its share of the budget, not all of it.
	var cands []portCandidate
	for _, u := range uplinks {
		bi := u.bridge.Attrs().Index
		for _, e := range byBridge[bi] {
			// Only stations behind the bridge's other ports: never what
			// was learned through the bond itself (the switch's side).
			if !e.Learned() || e.Port == u.port || e.Port == bi {
				continue
			}
			tag := u.tag
			if e.VLAN != 0 && u.tag == 0 {
				t, ok := egressTag(portVlans[int32(u.port)], e.VLAN)
				if !ok {
					continue // that VLAN does not leave through the bond
				}
				tag = t
			}
			cands = append(cands, portCandidate{port: e.Port, a: announcement{mac: e.MAC, tag: tag, ips: ips[ipKey{bi, string(e.MAC)}]}})
		}
	}
	for _, c := range fairShare(cands) {
		add(c.mac, c.tag, c.ips)
	}
	return uplinks, out, nil
}

// portCandidate is a station to announce and the bridge port it is behind.
type portCandidate struct {
	port int
	a    announcement
}

// fairShare orders the candidates one per port in turn (ports in order of first
// appearance, each port's stations in their order): with a frame budget, every port gets
// an equal share before any gets more.
func fairShare(cands []portCandidate) []announcement {
	var ports []int
	queue := map[int][]announcement{}
	for _, c := range cands {
		if _, ok := queue[c.port]; !ok {
			ports = append(ports, c.port)
		}
		queue[c.port] = append(queue[c.port], c.a)
	}
	out := make([]announcement, 0, len(cands))
	for len(out) < len(cands) {
		for _, p := range ports {
			if q := queue[p]; len(q) > 0 {
				out = append(out, q[0])
				queue[p] = q[1:]
			}
		}
	}
	return out
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
func announce(bond int, cfg Config) (Stats, error) {
	start := time.Now()
	var st Stats
	uplinks, anns, err := plan(bond)
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
