package bridge

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// FDBEntry is one entry of a bridge's forwarding database.
type FDBEntry struct {
	MAC    net.HardwareAddr
	VLAN   uint16 // 0: untagged / VLAN filtering off
	Port   int    // ifindex of the port (the bridge's own for its own MACs)
	Bridge int    // ifindex of the bridge
	Local  bool   // an address of the bridge or a port (NUD_PERMANENT): never forwarded out
	Static bool   // added by hand (NUD_NOARP): never ages
	Sticky bool   // never moves to another port (NTF_STICKY)
	// Idle is how long ago the bridge last saw a frame from MAC on Port (the entry's
	// "updated" time, NDA_CACHEINFO), to the kernel's clock-tick resolution.
	Idle time.Duration
}

// Learned reports whether the entry is a MAC of a station behind a port,
// learned or added statically: what a re-announcement must cover.
func (e FDBEntry) Learned() bool { return !e.Local && e.MAC[0]&1 == 0 }

// FDB lists the forwarding database of the bridge with ifindex bridge.
func FDB(bridge int) ([]FDBEntry, error) {
	all, err := FDBAll()
	var out []FDBEntry
	for _, e := range all {
		if e.Bridge == bridge {
			out = append(out, e)
		}
	}
	return out, err
}

// userHZ is the unit of NDA_CACHEINFO's times: clock ticks of USER_HZ, which Linux fixes
// at 100 on every architecture it exports them to user space for.
const userHZ = 100

// FDBAll lists the forwarding databases of every bridge in the namespace
// from one AF_BRIDGE neighbour dump (a host may have thousands of VLAN
// bridges: one dump, not one per bridge). The ports' own (NTF_SELF)
// address lists are left out. With netlink.ErrDumpInterrupted the list
// may be incomplete and is returned with the error.
func FDBAll() ([]FDBEntry, error) {
	all, err := netlink.NeighList(0, unix.AF_BRIDGE)
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		return nil, fmt.Errorf("fdb dump: %w", err)
	}
	var out []FDBEntry
	type key struct {
		mac          string
		vlan         uint16
		port, bridge int
	}
	seen := map[key]bool{}
	for _, n := range all {
		if n.MasterIndex == 0 || n.Flags&netlink.NTF_SELF != 0 || len(n.HardwareAddr) != 6 {
			continue
		}
		k := key{string(n.HardwareAddr), uint16(n.Vlan), n.LinkIndex, n.MasterIndex}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, FDBEntry{
			MAC: n.HardwareAddr, VLAN: uint16(n.Vlan), Port: n.LinkIndex, Bridge: n.MasterIndex,
			Local:  n.State&netlink.NUD_PERMANENT != 0,
			Static: n.State&netlink.NUD_NOARP != 0,
			Sticky: n.Flags&netlink.NTF_STICKY != 0,
			Idle:   time.Duration(n.Updated) * time.Second / userHZ,
		})
	}
	return out, err
}

// AddSticky adds (or turns an existing learned entry into) a static, sticky
// FDB entry for mac on port, in vlan (0 = none). Why: a sticky entry never
// moves, so a guest's own frame reflected back through the bond cannot
// move the guest's MAC onto the bond port (selftest bridge_sticky_fdb.sh);
// static keeps it from ageing while the guest is idle.
func AddSticky(port netlink.Link, mac net.HardwareAddr, vlan uint16) error {
	if len(mac) != 6 || mac[0]&1 != 0 {
		return fmt.Errorf("fdb: %v is not a unicast Ethernet address", mac)
	}
	if vlan > 4094 {
		return fmt.Errorf("fdb: VLAN %d out of range", vlan)
	}
	err := netlink.NeighSet(&netlink.Neigh{
		LinkIndex: port.Attrs().Index, Family: unix.AF_BRIDGE,
		Flags: netlink.NTF_MASTER | netlink.NTF_STICKY, State: netlink.NUD_NOARP,
		HardwareAddr: mac, Vlan: int(vlan),
	})
	if err != nil {
		return fmt.Errorf("fdb: sticky %v vlan %d on %s: %w", mac, vlan, port.Attrs().Name, err)
	}
	return nil
}

// DelFDB removes the bridge's entry for mac in vlan on port.
func DelFDB(port netlink.Link, mac net.HardwareAddr, vlan uint16) error {
	err := netlink.NeighDel(&netlink.Neigh{
		LinkIndex: port.Attrs().Index, Family: unix.AF_BRIDGE, Flags: netlink.NTF_MASTER,
		HardwareAddr: mac, Vlan: int(vlan),
	})
	if err != nil {
		return fmt.Errorf("fdb: delete %v vlan %d on %s: %w", mac, vlan, port.Attrs().Name, err)
	}
	return nil
}
