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

// TestKernelClaims: what the rules this code adds or changes say about the kernel holds on
// the lab kernel: each "the kernel refuses X with E" as that errno, each "the kernel
// accepts X" (the rule is ours, not the kernel's) as success.
func TestKernelClaims(t *testing.T) {
	cases := []struct {
		rule string
		what string
		do   func(t *testing.T) error
		want error // nil: the kernel accepts it
	}{
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

// setQueueID sets a bond slave's queue_id as hostnet's engine does: IFLA_BOND_SLAVE_QUEUE_ID
// in IFLA_INFO_SLAVE_DATA of an RTM_NEWLINK for the slave.
func setQueueID(l netlink.Link, q uint16) error {
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_ACK)
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Index = int32(l.Attrs().Index)
	req.AddData(msg)
	li := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
	sd := li.AddRtAttr(nl.IFLA_INFO_SLAVE_DATA, nil)
	sd.AddRtAttr(unix.IFLA_BOND_SLAVE_QUEUE_ID, nl.Uint16Attr(q))
	req.AddData(li)
	_, err := req.Execute(unix.NETLINK_ROUTE, 0)
	return err
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
