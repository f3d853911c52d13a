package live

import (
	"net"
	"net/netip"
	"testing"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"

	"github.com/hostnet/hostnet/hostnet/bonding"
)

func hw(s string) net.HardwareAddr {
	m, _ := net.ParseMAC(s)
	return m
}

// linkMsg builds an RTM_NEWLINK payload as the kernel sends it.
func linkMsg(index int, name string, hw net.HardwareAddr, attrs ...*nl.RtAttr) []byte {
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Index = int32(index)
	msg.Flags = unix.IFF_UP
	b := msg.Serialize()
	b = append(b, nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(name)).Serialize()...)
	b = append(b, nl.NewRtAttr(unix.IFLA_ADDRESS, hw).Serialize()...)
	for _, a := range attrs {
		b = append(b, a.Serialize()...)
	}
	return b
}

// TestParseBondOptionsAndSlave decodes a bond link with a sample of options (numbers, an
// unreported one, the IPv4 and IPv6 target lists) and a bond slave's data.
func TestParseBondOptionsAndSlave(t *testing.T) {
	li := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
	li.AddRtAttr(nl.IFLA_INFO_KIND, nl.NonZeroTerminated("bond"))
	data := li.AddRtAttr(nl.IFLA_INFO_DATA, nil)
	data.AddRtAttr(unix.IFLA_BOND_MODE, []byte{1})
	data.AddRtAttr(unix.IFLA_BOND_MIIMON, nl.Uint32Attr(100))
	data.AddRtAttr(unix.IFLA_BOND_PEER_NOTIF_DELAY, nl.Uint32Attr(300))
	data.AddRtAttr(unix.IFLA_BOND_MISSED_MAX, []byte{3})
	data.AddRtAttr(unix.IFLA_BOND_AD_LACP_ACTIVE, []byte{0})
	data.AddRtAttr(unix.IFLA_BOND_COUPLED_CONTROL, []byte{0})
	data.AddRtAttr(unix.IFLA_BOND_PRIMARY, nl.Uint32Attr(3))
	tg := data.AddRtAttr(unix.IFLA_BOND_ARP_IP_TARGET, nil)
	tg.AddRtAttr(0, []byte{198, 51, 100, 1})
	tg.AddRtAttr(1, []byte{203, 0, 113, 1})
	ns := data.AddRtAttr(unix.IFLA_BOND_NS_IP6_TARGET, nil)
	ns.AddRtAttr(0, netip.MustParseAddr("2001:db8::1").AsSlice())
	bond := parseLink(linkMsg(10, "bond0", hw("02:00:00:00:00:01"), li))

	sli := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
	sli.AddRtAttr(nl.IFLA_INFO_KIND, nl.NonZeroTerminated("veth"))
	sli.AddRtAttr(nl.IFLA_INFO_SLAVE_KIND, nl.NonZeroTerminated("bond"))
	sd := sli.AddRtAttr(nl.IFLA_INFO_SLAVE_DATA, nil)
	sd.AddRtAttr(unix.IFLA_BOND_SLAVE_PERM_HWADDR, hw("d0:bf:9c:45:0c:21"))
	sd.AddRtAttr(unix.IFLA_BOND_SLAVE_QUEUE_ID, nl.Uint16Attr(2))
	sd.AddRtAttr(unix.IFLA_BOND_SLAVE_PRIO, nl.Uint32Attr(uint32(0xffffffff)))
	sd.AddRtAttr(unix.IFLA_BOND_SLAVE_LINK_FAILURE_COUNT, nl.Uint32Attr(4))
	slave := parseLink(linkMsg(3, "eth1", hw("02:00:00:00:00:01"), sli, nl.NewRtAttr(unix.IFLA_MASTER, nl.Uint32Attr(10))))

	o := &bond.Bond.Options
	checks := map[bonding.ID]uint64{bonding.OptMode: 1, bonding.OptMiimon: 100, bonding.OptPeerNotifDelay: 300,
		bonding.OptMissedMax: 3, bonding.OptLACPActive: 0, bonding.OptCoupledControl: 0, bonding.OptUseCarrier: 1}
	for id, want := range checks {
		if got := o.Num(id); got != want {
			t.Errorf("%s = %d, want %d", bonding.Table[id].Name, got, want)
		}
	}
	if got := o.Get(bonding.OptArpIPTarget).Format(bonding.OptArpIPTarget); got != "[198.51.100.1, 203.0.113.1]" {
		t.Errorf("arp_ip_target %s", got)
	}
	if got := o.Get(bonding.OptNSIP6Target).Format(bonding.OptNSIP6Target); got != "[2001:db8::1]" {
		t.Errorf("ns_ip6_target %s", got)
	}
	if bond.Bond.Reported[bonding.OptUseCarrier] {
		t.Error("use_carrier not sent but reported")
	}
	if s := slave.BondSlave; s == nil || s.QueueID != 2 || s.Prio != -1 || s.LinkFailureCount != 4 {
		t.Errorf("slave data %+v", slave.BondSlave)
	}

	st := NewState([]*Link{bond, slave, parseLink(linkMsg(2, "eth0", hw("02:00:00:00:00:01")))}, nil)
	if l, err := st.NIC(hw("d0:bf:9c:45:0c:21")); err != nil || l.Name != "eth1" {
		t.Errorf("NIC by perm MAC: %v %v", l, err)
	}
	if l, err := st.NIC(hw("02:00:00:00:00:01")); err != nil || l.Name != "eth0" {
		t.Errorf("NIC by MAC (bond and a slave wear it too): %v %v", l, err)
	}
	if _, err := st.NIC(hw("d0:bf:9c:45:0c:99")); err == nil {
		t.Error("absent MAC found")
	}
	if got := st.Slaves(bond); len(got) != 1 || got[0].Name != "eth1" {
		t.Errorf("slaves %v", got)
	}
}

func TestParseVLANAndBridge(t *testing.T) {
	li := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
	li.AddRtAttr(nl.IFLA_INFO_KIND, nl.NonZeroTerminated("vlan"))
	d := li.AddRtAttr(nl.IFLA_INFO_DATA, nil)
	d.AddRtAttr(unix.IFLA_VLAN_ID, nl.Uint16Attr(100))
	d.AddRtAttr(unix.IFLA_VLAN_PROTOCOL, []byte{0x88, 0xa8})
	v := parseLink(linkMsg(12, "bond0.100", hw("02:00:00:00:00:01"), li, nl.NewRtAttr(unix.IFLA_LINK, nl.Uint32Attr(10)),
		nl.NewRtAttr(unix.IFLA_IFALIAS, nl.ZeroTerminated(MarkFor(`vlan.tenant["100"]`)))))
	if v.VLAN == nil || v.VLAN.ID != 100 || v.VLAN.Protocol != 0x88a8 || v.ParentIndex != 10 {
		t.Fatalf("vlan %+v %+v", v, v.VLAN)
	}
	if a, ok := v.Mark(); !ok || a != `vlan.tenant["100"]` {
		t.Errorf("mark %q %v", a, ok)
	}
	li = nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
	li.AddRtAttr(nl.IFLA_INFO_KIND, nl.NonZeroTerminated("bridge"))
	d = li.AddRtAttr(nl.IFLA_INFO_DATA, nil)
	d.AddRtAttr(unix.IFLA_BR_STP_STATE, nl.Uint32Attr(1))
	d.AddRtAttr(unix.IFLA_BR_FORWARD_DELAY, nl.Uint32Attr(200))
	d.AddRtAttr(unix.IFLA_BR_MCAST_SNOOPING, []byte{1})
	br := parseLink(linkMsg(13, "br100", hw("02:00:00:00:00:01"), li))
	if br.Bridge == nil || br.Bridge.STPState != 1 || br.Bridge.ForwardDelay != 200 || !br.Bridge.MulticastSnooping {
		t.Errorf("bridge %+v", br.Bridge)
	}
	// A veth's IFLA_LINK in another namespace is not a parent here.
	peer := parseLink(linkMsg(2, "eth0", hw("d0:bf:9c:45:0c:20"), nl.NewRtAttr(unix.IFLA_LINK, nl.Uint32Attr(10)),
		nl.NewRtAttr(unix.IFLA_LINK_NETNSID, nl.Uint32Attr(0))))
	if peer.ParentIndex != 0 {
		t.Errorf("veth peer index taken as parent: %d", peer.ParentIndex)
	}
}
