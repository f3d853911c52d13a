//go:build lab

package validate_test

import (
	"errors"
	"net"
	"runtime"
	"syscall"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/hostnet/hostnet/hostnet/bonding"
	"github.com/hostnet/hostnet/hostnet/lab"
	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/validate"
)

func TestMain(m *testing.M) { lab.RunTestMain(m) }

// inNewNS runs fn on a locked thread in a fresh network namespace of the lab kernel.
func inNewNS(t *testing.T, fn func(t *testing.T)) {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	ns, err := netns.New()
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := netns.Set(orig); err != nil {
			t.Fatal(err)
		}
		ns.Close()
	}()
	if err := netlink.LinkSetUp(&netlink.Device{LinkAttrs: netlink.LinkAttrs{Name: "lo"}}); err != nil {
		t.Fatal(err)
	}
	fn(t)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func link(t *testing.T, name string) netlink.Link {
	t.Helper()
	l, err := netlink.LinkByName(name)
	must(t, err)
	return l
}

// veth adds a veth pair a/b (up) and returns a.
func veth(t *testing.T, a, b string) netlink.Link {
	t.Helper()
	must(t, netlink.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: a}, PeerName: b}))
	must(t, netlink.LinkSetUp(link(t, b)))
	return link(t, a)
}

// bondWithSlave adds bond0 (active-backup) with the veth s0 enslaved.
func bondWithSlave(t *testing.T) (*netlink.Bond, netlink.Link) {
	t.Helper()
	b := netlink.NewLinkBond(netlink.LinkAttrs{Name: "bond0"})
	b.Mode = netlink.BOND_MODE_ACTIVE_BACKUP
	must(t, netlink.LinkAdd(b))
	s := veth(t, "s0", "s0p")
	must(t, netlink.LinkSetBondSlave(s, b))
	return b, s
}

func addrOn(t *testing.T, name, cidr string) {
	t.Helper()
	a, err := netlink.ParseAddr(cidr)
	must(t, err)
	must(t, netlink.AddrAdd(link(t, name), a))
}

func cidr(s string) *net.IPNet {
	_, n, err := net.ParseCIDR(s)
	if err != nil {
		panic(err)
	}
	return n
}

// TestKernelClaims: what the rules say about the kernel holds on the lab kernel: each "the
// kernel refuses X with E" as that errno (every rule in claimedInLab, which
// TestKernelClaimsCovered keeps complete), and each "the kernel accepts X" of the rules
// that are ours, not the kernel's, as success.
func TestKernelClaims(t *testing.T) {
	cases := []struct {
		rule string
		what string
		do   func(t *testing.T) error
		want error // nil: the kernel accepts it
	}{
		{"option-mode", "arp_interval in 802.3ad", func(t *testing.T) error {
			b := netlink.NewLinkBond(netlink.LinkAttrs{Name: "bond0"})
			b.Mode = netlink.BOND_MODE_802_3AD
			b.ArpInterval = 100
			return netlink.LinkAdd(b)
		}, syscall.EACCES},
		{"option-mode", "per-slave prio in balance-rr", func(t *testing.T) error {
			b := netlink.NewLinkBond(netlink.LinkAttrs{Name: "bond0"})
			b.Mode = netlink.BOND_MODE_BALANCE_RR
			must(t, netlink.LinkAdd(b))
			s := veth(t, "s0", "s0p")
			must(t, netlink.LinkSetBondSlave(s, b))
			return setSlaveAttr(s, unix.IFLA_BOND_SLAVE_PRIO, nl.Uint32Attr(5))
		}, syscall.EACCES},
		{"miimon-with-arp", "miimon and arp_interval in one message", func(t *testing.T) error {
			b := netlink.NewLinkBond(netlink.LinkAttrs{Name: "bond0"})
			b.Mode = netlink.BOND_MODE_ACTIVE_BACKUP
			b.Miimon, b.ArpInterval = 100, 100
			b.ArpIpTargets = []net.IP{net.ParseIP("198.51.100.1")}
			return netlink.LinkAdd(b)
		}, syscall.EINVAL},
		{"delay-without-miimon", "updelay with miimon = 0", func(t *testing.T) error {
			b := netlink.NewLinkBond(netlink.LinkAttrs{Name: "bond0"})
			b.Mode = netlink.BOND_MODE_ACTIVE_BACKUP
			b.Miimon, b.UpDelay = 0, 200
			return netlink.LinkAdd(b)
		}, syscall.EPERM},
		{"arp-targets-too-many", "17 ARP targets", func(t *testing.T) error {
			b := netlink.NewLinkBond(netlink.LinkAttrs{Name: "bond0"})
			b.Mode = netlink.BOND_MODE_ACTIVE_BACKUP
			b.ArpInterval = 100
			for i := 1; i <= 17; i++ {
				b.ArpIpTargets = append(b.ArpIpTargets, net.IPv4(198, 51, 100, byte(i)))
			}
			return netlink.LinkAdd(b)
		}, syscall.EINVAL},
		{"arp-target-duplicate", "one ARP target twice", func(t *testing.T) error {
			b := netlink.NewLinkBond(netlink.LinkAttrs{Name: "bond0"})
			b.Mode = netlink.BOND_MODE_ACTIVE_BACKUP
			b.ArpInterval = 100
			b.ArpIpTargets = []net.IP{net.ParseIP("198.51.100.1"), net.ParseIP("198.51.100.1")}
			return netlink.LinkAdd(b)
		}, syscall.EINVAL},
		{"arp-target-unusable", "the broadcast address as ARP target", func(t *testing.T) error {
			b := netlink.NewLinkBond(netlink.LinkAttrs{Name: "bond0"})
			b.Mode = netlink.BOND_MODE_ACTIVE_BACKUP
			b.ArpInterval = 100
			b.ArpIpTargets = []net.IP{net.ParseIP("255.255.255.255")}
			return netlink.LinkAdd(b)
		}, syscall.EINVAL},
		{"slave-not-in-bond", "active_slave that is not a slave", func(t *testing.T) error {
			bondWithSlave(t)
			other := veth(t, "o0", "o0p")
			nb := netlink.NewLinkBond(netlink.LinkAttrs{Name: "bond0", Index: link(t, "bond0").Attrs().Index})
			nb.ActiveSlave = other.Attrs().Index // the only option in the message
			return netlink.LinkModify(nb)
		}, syscall.EINVAL},
		{"nic-in-two-bonds", "a slave given a second bond as master moves (accepted)", func(t *testing.T) error {
			_, s := bondWithSlave(t)
			b1 := netlink.NewLinkBond(netlink.LinkAttrs{Name: "bond1"})
			b1.Mode = netlink.BOND_MODE_ACTIVE_BACKUP
			must(t, netlink.LinkAdd(b1))
			err := netlink.LinkSetMaster(s, link(t, "bond1"))
			masterIs(t, "s0", "bond1")
			return err
		}, nil},
		{"slave-is-bridge-port", "a bond slave given a bridge as master leaves the bond (accepted)", func(t *testing.T) error {
			_, s := bondWithSlave(t)
			must(t, netlink.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "br0"}}))
			err := netlink.LinkSetMaster(s, link(t, "br0"))
			masterIs(t, "s0", "br0")
			return err
		}, nil},
		{"port-of-two-bridges", "a bridge port given a second bridge moves (accepted)", func(t *testing.T) error {
			p := veth(t, "p0", "p0p")
			must(t, netlink.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "br0"}}))
			must(t, netlink.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "br1"}}))
			must(t, netlink.LinkSetMaster(p, link(t, "br0")))
			err := netlink.LinkSetMaster(p, link(t, "br1"))
			masterIs(t, "p0", "br1")
			return err
		}, nil},
		{"mac-not-unicast", "a multicast MAC on a bridge", func(t *testing.T) error {
			return netlink.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "br0", HardwareAddr: net.HardwareAddr{0x01, 0, 0x5e, 0, 0, 1}}})
		}, syscall.EADDRNOTAVAIL},
		{"duplicate-name", "a second device of the same name", func(t *testing.T) error {
			must(t, netlink.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "br0"}}))
			return netlink.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "br0"}})
		}, syscall.EEXIST},
		{"vlan-id-range", "VLAN id 4095", func(t *testing.T) error {
			p := veth(t, "p0", "p0p")
			return netlink.LinkAdd(&netlink.Vlan{LinkAttrs: netlink.LinkAttrs{Name: "p0.4095", ParentIndex: p.Attrs().Index}, VlanId: 4095})
		}, syscall.ERANGE},
		{"vlan-duplicate-id", "a second VLAN with the same id on one link", func(t *testing.T) error {
			p := veth(t, "p0", "p0p")
			must(t, netlink.LinkAdd(&netlink.Vlan{LinkAttrs: netlink.LinkAttrs{Name: "v1", ParentIndex: p.Attrs().Index}, VlanId: 100}))
			return netlink.LinkAdd(&netlink.Vlan{LinkAttrs: netlink.LinkAttrs{Name: "v2", ParentIndex: p.Attrs().Index}, VlanId: 100})
		}, syscall.EEXIST},
		{"mtu-above-lower", "a VLAN created larger than its link", func(t *testing.T) error {
			p := veth(t, "p0", "p0p")
			return netlink.LinkAdd(&netlink.Vlan{LinkAttrs: netlink.LinkAttrs{Name: "v1", ParentIndex: p.Attrs().Index, MTU: 9000}, VlanId: 100})
		}, syscall.EINVAL},
		{"mtu-above-lower", "a VLAN changed to larger than its link", func(t *testing.T) error {
			p := veth(t, "p0", "p0p")
			must(t, netlink.LinkAdd(&netlink.Vlan{LinkAttrs: netlink.LinkAttrs{Name: "v1", ParentIndex: p.Attrs().Index}, VlanId: 100}))
			return netlink.LinkSetMTU(link(t, "v1"), 9000)
		}, syscall.ERANGE},
		{"duplicate-address", "one address twice on one interface", func(t *testing.T) error {
			veth(t, "p0", "p0p")
			addrOn(t, "p0", "198.51.100.10/24")
			a, _ := netlink.ParseAddr("198.51.100.10/24")
			return netlink.AddrAdd(link(t, "p0"), a)
		}, syscall.EEXIST},
		{"multiple-default-gateways", "a second IPv4 default route, main table, metric 0", func(t *testing.T) error {
			veth(t, "p0", "p0p")
			must(t, netlink.LinkSetUp(link(t, "p0")))
			addrOn(t, "p0", "198.51.100.10/24")
			idx := link(t, "p0").Attrs().Index
			must(t, netlink.RouteAdd(&netlink.Route{Dst: cidr("0.0.0.0/0"), Gw: net.ParseIP("198.51.100.1"), LinkIndex: idx}))
			return netlink.RouteAdd(&netlink.Route{Dst: cidr("0.0.0.0/0"), Gw: net.ParseIP("198.51.100.2"), LinkIndex: idx})
		}, syscall.EEXIST},
		{"invalid-name", "a name with the byte 0xA0 ('à')", func(t *testing.T) error {
			return netlink.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "brà"}})
		}, syscall.EINVAL},
		{"invalid-name", "a name with a vertical tab", func(t *testing.T) error {
			return netlink.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "br\v2"}})
		}, syscall.EINVAL},
		{"invalid-name", "near miss: UTF-8 without 0xA0 ('é')", func(t *testing.T) error {
			return netlink.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "bré"}})
		}, nil},
		{"reserved-name", "a device named all", func(t *testing.T) error {
			return netlink.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "all"}})
		}, syscall.EINVAL},
		{"reserved-name", "a device named default", func(t *testing.T) error {
			return netlink.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "default"}})
		}, syscall.EINVAL},
		{"reserved-name", "a device named bonding_masters", func(t *testing.T) error {
			return netlink.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "bonding_masters"}})
		}, syscall.EEXIST},
		{"reserved-name", "a VLAN named config", func(t *testing.T) error {
			p := veth(t, "p0", "p0p")
			return netlink.LinkAdd(&netlink.Vlan{LinkAttrs: netlink.LinkAttrs{Name: "config", ParentIndex: p.Attrs().Index}, VlanId: 10})
		}, syscall.EINVAL},
		{"reserved-name", "near miss: a bridge named config", func(t *testing.T) error {
			return netlink.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "config"}})
		}, nil},
		{"ad-actor-system", "a multicast ad_actor_system", func(t *testing.T) error {
			b := netlink.NewLinkBond(netlink.LinkAttrs{Name: "bond0"})
			b.Mode = netlink.BOND_MODE_802_3AD
			b.AdActorSystem = net.HardwareAddr{0x01, 0x80, 0xc2, 0, 0, 2}
			return netlink.LinkAdd(b)
		}, syscall.EINVAL},
		{"ad-actor-system", "near miss: all zeros, accepted and read back", func(t *testing.T) error {
			b := netlink.NewLinkBond(netlink.LinkAttrs{Name: "bond0"})
			b.Mode = netlink.BOND_MODE_802_3AD
			b.AdActorSystem = net.HardwareAddr{0, 0, 0, 0, 0, 0}
			if err := netlink.LinkAdd(b); err != nil {
				return err
			}
			s, err := live.Read(netns.None())
			must(t, err)
			l := s.Link("bond0")
			if l == nil || l.Bond == nil {
				t.Fatal("bond0 not read back")
			}
			// The kernel reports the all-zeros default as no value (hostnet reads it as unset).
			if got := l.Bond.Options.Get(bonding.OptADActorSystem).MAC; len(got) != 0 && got.String() != "00:00:00:00:00:00" {
				t.Fatalf("ad_actor_system reads back as %s", got)
			}
			return nil
		}, nil},
		{"route-host-bits", "a route to 203.0.113.5/24", func(t *testing.T) error {
			veth(t, "p0", "p0p")
			must(t, netlink.LinkSetUp(link(t, "p0")))
			addrOn(t, "p0", "198.51.100.10/24")
			dst := &net.IPNet{IP: net.ParseIP("203.0.113.5").To4(), Mask: net.CIDRMask(24, 32)}
			return netlink.RouteAdd(&netlink.Route{Dst: dst, Gw: net.ParseIP("198.51.100.1"), LinkIndex: link(t, "p0").Attrs().Index})
		}, syscall.EINVAL},
		{"route-via-unreachable", "a route via a gateway on no connected prefix", func(t *testing.T) error {
			veth(t, "p0", "p0p")
			must(t, netlink.LinkSetUp(link(t, "p0")))
			addrOn(t, "p0", "198.51.100.10/25")
			return netlink.RouteAdd(&netlink.Route{Dst: cidr("203.0.113.0/24"), Gw: net.ParseIP("198.51.100.129"), LinkIndex: link(t, "p0").Attrs().Index})
		}, syscall.ENETUNREACH},
		{"gateway-outside-prefix", "a default route via a gateway outside the prefixes", func(t *testing.T) error {
			veth(t, "p0", "p0p")
			must(t, netlink.LinkSetUp(link(t, "p0")))
			addrOn(t, "p0", "198.51.100.10/25")
			return netlink.RouteAdd(&netlink.Route{Dst: cidr("0.0.0.0/0"), Gw: net.ParseIP("198.51.100.129"), LinkIndex: link(t, "p0").Attrs().Index})
		}, syscall.ENETUNREACH},
		{"gateway-is-own-address", "a default route via the interface's own address (accepted)", func(t *testing.T) error {
			veth(t, "p0", "p0p")
			must(t, netlink.LinkSetUp(link(t, "p0")))
			addrOn(t, "p0", "198.51.100.10/24")
			return netlink.RouteAdd(&netlink.Route{Dst: cidr("0.0.0.0/0"), Gw: net.ParseIP("198.51.100.10"), LinkIndex: link(t, "p0").Attrs().Index})
		}, nil},
		{"route-is-connected", "the connected prefix again, main table, metric 0", func(t *testing.T) error {
			veth(t, "p0", "p0p")
			must(t, netlink.LinkSetUp(link(t, "p0")))
			addrOn(t, "p0", "198.51.100.10/24")
			return netlink.RouteAdd(&netlink.Route{Dst: cidr("198.51.100.0/24"), LinkIndex: link(t, "p0").Attrs().Index, Scope: netlink.SCOPE_LINK})
		}, syscall.EEXIST},
		{"address-not-host", "0.0.0.0/0 and the broadcast address as addresses (accepted)", func(t *testing.T) error {
			veth(t, "p0", "p0p")
			if err := netlink.AddrAdd(link(t, "p0"), &netlink.Addr{IPNet: &net.IPNet{IP: net.IPv4zero.To4(), Mask: net.CIDRMask(0, 32)}}); err != nil {
				return err
			}
			a, _ := netlink.ParseAddr("198.51.100.255/24")
			return netlink.AddrAdd(link(t, "p0"), a)
		}, nil},
		{"bypasses-bond", "a VLAN on a bond slave (accepted)", func(t *testing.T) error {
			_, s := bondWithSlave(t)
			return netlink.LinkAdd(&netlink.Vlan{LinkAttrs: netlink.LinkAttrs{Name: "s0.100", ParentIndex: s.Attrs().Index}, VlanId: 100})
		}, nil},
		{"vlan-ad-on-q", "an 802.1ad VLAN on an 802.1Q VLAN (accepted)", func(t *testing.T) error {
			p := veth(t, "p0", "p0p")
			must(t, netlink.LinkAdd(&netlink.Vlan{LinkAttrs: netlink.LinkAttrs{Name: "c100", ParentIndex: p.Attrs().Index}, VlanId: 100, VlanProtocol: netlink.VLAN_PROTOCOL_8021Q}))
			return netlink.LinkAdd(&netlink.Vlan{LinkAttrs: netlink.LinkAttrs{Name: "s200", ParentIndex: link(t, "c100").Attrs().Index}, VlanId: 200, VlanProtocol: netlink.VLAN_PROTOCOL_8021AD})
		}, nil},
		{"queue-id-above-queues", "queue_id above the bond's TX queue count", func(t *testing.T) error {
			_, s := bondWithSlave(t)
			if n := liveTxQueues(t, "bond0"); n != validate.DefaultBondTxQueues {
				t.Fatalf("a new bond has %d TX queues, not %d", n, validate.DefaultBondTxQueues)
			}
			return setQueueID(s, validate.DefaultBondTxQueues+1)
		}, syscall.EPERM},
		{"queue-id-above-queues", "near miss: queue_id equal to the TX queue count", func(t *testing.T) error {
			_, s := bondWithSlave(t)
			return setQueueID(s, validate.DefaultBondTxQueues)
		}, nil},
		{"mtu-above-device-max", "an MTU above the device's max_mtu", func(t *testing.T) error {
			p := veth(t, "p0", "p0p")
			s, err := live.Read(netns.None())
			must(t, err)
			max := s.Link("p0").MaxMTU
			if max <= 0 {
				t.Fatal("no max_mtu read")
			}
			return netlink.LinkSetMTU(p, max+1)
		}, syscall.EINVAL},
	}
	covered := map[string]bool{}
	for _, c := range cases {
		if c.want != nil {
			covered[c.rule] = true
		}
	}
	for id := range claimedInLab {
		if !covered[id] {
			t.Errorf("rule %s says the kernel refuses something, but no case here shows it", id)
		}
	}
	for _, c := range cases {
		t.Run(c.rule+"/"+c.what, func(t *testing.T) {
			inNewNS(t, func(t *testing.T) {
				err := c.do(t)
				switch {
				case c.want == nil && err != nil:
					t.Fatalf("the rule says the kernel accepts this; it refused: %v", err)
				case c.want != nil && !errors.Is(err, c.want):
					t.Fatalf("the rule says the kernel refuses this with %v; got %v", c.want, err)
				}
			})
		})
	}
}

// setQueueID sets a bond slave's queue_id as hostnet's engine does.
func setQueueID(l netlink.Link, q uint16) error {
	return setSlaveAttr(l, unix.IFLA_BOND_SLAVE_QUEUE_ID, nl.Uint16Attr(q))
}

// setSlaveAttr sets one per-slave bond option as hostnet's engine does: the attribute in
// IFLA_INFO_SLAVE_DATA of an RTM_NEWLINK for the slave.
func setSlaveAttr(l netlink.Link, typ int, val []byte) error {
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_ACK)
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Index = int32(l.Attrs().Index)
	req.AddData(msg)
	li := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
	sd := li.AddRtAttr(nl.IFLA_INFO_SLAVE_DATA, nil)
	sd.AddRtAttr(typ, val)
	req.AddData(li)
	_, err := req.Execute(unix.NETLINK_ROUTE, 0)
	return err
}

// masterIs checks that link name's master is the link named master.
func masterIs(t *testing.T, name, master string) {
	t.Helper()
	if got := link(t, name).Attrs().MasterIndex; got != link(t, master).Attrs().Index {
		t.Fatalf("%s's master is ifindex %d, not %s", name, got, master)
	}
}

func liveTxQueues(t *testing.T, name string) int {
	t.Helper()
	s, err := live.Read(netns.None())
	must(t, err)
	l := s.Link(name)
	if l == nil {
		t.Fatalf("%s not found", name)
	}
	return l.NumTxQueues
}
