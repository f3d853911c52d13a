package live

import (
	"testing"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

func TestParseBridgePort(t *testing.T) {
	li := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
	li.AddRtAttr(nl.IFLA_INFO_KIND, nl.NonZeroTerminated("bond"))
	li.AddRtAttr(nl.IFLA_INFO_SLAVE_KIND, nl.NonZeroTerminated("bridge"))
	sd := li.AddRtAttr(nl.IFLA_INFO_SLAVE_DATA, nil)
	sd.AddRtAttr(unix.IFLA_BRPORT_LEARNING, []byte{0})
	sd.AddRtAttr(unix.IFLA_BRPORT_UNICAST_FLOOD, []byte{1})
	sd.AddRtAttr(unix.IFLA_BRPORT_MCAST_FLOOD, []byte{0})
	// IFLA_BRPORT_BCAST_FLOOD absent (older kernel): the kernel default, on.
	l := parseLink(linkMsg(10, "bond0", hw("02:00:00:00:00:01"), li, nl.NewRtAttr(unix.IFLA_MASTER, nl.Uint32Attr(11))))
	want := BridgePort{Learning: false, UnicastFlood: true, MulticastFlood: false, BroadcastFlood: true}
	if l.BridgePort == nil || *l.BridgePort != want || l.BondSlave != nil {
		t.Fatalf("bridge port %+v (bond slave %+v)", l.BridgePort, l.BondSlave)
	}
	s := NewState([]*Link{l}, nil)
	if got := s.Normalized(); len(got) != 1 || got[0] != `link bond0 kind="bond" mac=02:00:00:00:00:01 mtu=0 up=true master= learning=false unicast_flood=true mcast_flood=false bcast_flood=true` {
		t.Errorf("normalized %q", got)
	}
}

func ndMsg(port int, state uint16, flags uint8, attrs ...*nl.RtAttr) []byte {
	b := make([]byte, unix.SizeofNdMsg)
	b[0] = unix.AF_BRIDGE
	native.PutUint32(b[4:8], uint32(port))
	native.PutUint16(b[8:10], state)
	b[10] = flags
	for _, a := range attrs {
		b = append(b, a.Serialize()...)
	}
	return b
}

func TestParseFDB(t *testing.T) {
	mac := hw("52:54:00:aa:00:01")
	e, ok := parseFDB(ndMsg(10, unix.NUD_NOARP, unix.NTF_MASTER|NTFSticky,
		nl.NewRtAttr(unix.NDA_LLADDR, mac), nl.NewRtAttr(unix.NDA_VLAN, nl.Uint16Attr(100)),
		nl.NewRtAttr(unix.NDA_MASTER, nl.Uint32Attr(11))))
	if !ok || e.MAC.String() != mac.String() || e.VLAN != 100 || e.Port != 10 || e.Bridge != 11 ||
		!e.Static() || !e.Sticky() || e.Local() {
		t.Fatalf("sticky entry: %+v %v", e, ok)
	}
	if e, ok := parseFDB(ndMsg(11, unix.NUD_PERMANENT, unix.NTF_MASTER,
		nl.NewRtAttr(unix.NDA_LLADDR, mac), nl.NewRtAttr(unix.NDA_MASTER, nl.Uint32Attr(11)))); !ok || !e.Local() || e.Static() {
		t.Errorf("local entry: %+v %v", e, ok)
	}
	// A port's own address list (NTF_SELF) and entries without a master are not the bridge's.
	if _, ok := parseFDB(ndMsg(10, unix.NUD_PERMANENT, unix.NTF_SELF, nl.NewRtAttr(unix.NDA_LLADDR, mac),
		nl.NewRtAttr(unix.NDA_MASTER, nl.Uint32Attr(11)))); ok {
		t.Error("NTF_SELF entry kept")
	}
	if _, ok := parseFDB(ndMsg(10, unix.NUD_NOARP, 0, nl.NewRtAttr(unix.NDA_LLADDR, mac))); ok {
		t.Error("entry without NDA_MASTER kept")
	}
}
