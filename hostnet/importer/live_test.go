package importer

import (
	"bytes"
	"net"
	"net/netip"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/hostnet/hostnet/hostnet/bonding"
	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/vid"
)

// TestImportLive: a live state (an 802.3ad bond of two NICs, which the kernel reports
// with the bond's MAC and keeps their own as the slaves' permanent MACs, a bridge on it
// with a guest tap, a VLAN, a default route) becomes a plan that pins the NICs by their
// permanent MACs, writes only options that differ from the kernel's defaults, leaves the
// tap to libvirt, and validates.
func TestImportLive(t *testing.T) {
	mac := func(s string) net.HardwareAddr { m, _ := net.ParseMAC(s); return m }
	up := uint32(unix.IFF_UP)
	var opts bonding.Options
	opts.Set(bonding.OptMode, bonding.Value{Num: uint64(bonding.LACP)})
	opts.Set(bonding.OptMiimon, bonding.Value{Num: 100})
	opts.Set(bonding.OptLACPRate, bonding.Value{Num: 1})
	opts.Set(bonding.OptUpdelay, bonding.Value{Num: 0})
	var rep [bonding.NumOptions]bool
	for id := range rep {
		rep[id] = true
	}
	bondMAC := mac("52:54:00:aa:00:01")
	nic := func(idx int, name, perm string) *live.Link {
		return &live.Link{Index: idx, Name: name, Kind: "veth", MAC: bondMAC, MTU: 9000, Flags: up, MasterIndex: 10,
			SlaveKind: "bond", BondSlave: &live.BondSlave{PermMAC: mac(perm)}}
	}
	links := []*live.Link{
		{Index: 1, Name: "lo", MTU: 65536, Flags: up | unix.IFF_LOOPBACK},
		nic(2, "eno1", "52:54:00:aa:00:01"), nic(3, "eno2", "52:54:00:aa:00:02"),
		{Index: 10, Name: "bond0", Kind: "bond", MAC: bondMAC, MTU: 9000, Flags: up, MasterIndex: 11,
			Bond: &live.Bond{Options: opts, Reported: rep}},
		{Index: 11, Name: "vmbr0", Kind: "bridge", MAC: bondMAC, MTU: 9000, Flags: up,
			Bridge: &live.Bridge{ForwardDelay: 0, AgeingTime: 30000, MulticastSnooping: true},
			Addrs:  []live.Addr{{Prefix: netip.MustParsePrefix("198.51.100.21/24")}, {Prefix: netip.MustParsePrefix("fe80::1/64")}}},
		{Index: 12, Name: "tap100i0", Kind: "tun", MTU: 9000, Flags: up, MasterIndex: 11},
		{Index: 13, Name: "bond0.50", Kind: "vlan", MTU: 9000, Flags: up, ParentIndex: 10, VLAN: &live.VLAN{ID: 50, Protocol: unix.ETH_P_8021Q},
			Addrs: []live.Addr{{Prefix: netip.MustParsePrefix("203.0.113.21/24")}}},
	}
	routes := []live.Route{
		{Family: unix.AF_INET, Table: unix.RT_TABLE_MAIN, Dst: netip.MustParsePrefix("0.0.0.0/0"),
			Gateway: netip.MustParseAddr("198.51.100.1"), OIF: 11, Protocol: unix.RTPROT_BOOT, Type: unix.RTN_UNICAST},
		{Family: unix.AF_INET, Table: unix.RT_TABLE_MAIN, Dst: netip.MustParsePrefix("203.0.113.128/25"),
			Gateway: netip.MustParseAddr("203.0.113.1"), OIF: 13, Protocol: unix.RTPROT_BOOT, Type: unix.RTN_UNICAST},
		{Family: unix.AF_INET, Table: unix.RT_TABLE_MAIN, Dst: netip.MustParsePrefix("198.51.100.0/24"),
			OIF: 11, Protocol: unix.RTPROT_KERNEL, Scope: unix.RT_SCOPE_LINK, Type: unix.RTN_UNICAST},
	}
	doc := ImportLive(live.NewState(links, routes), Options{})
	src := doc.HCL()
	flat := squeeze(strings.ReplaceAll(string(src), "\n", " "))
	for _, want := range []string{
		`switch { lacp = true }`,
		`nic "eno1" { mac = "52:54:00:aa:00:01" }`, `nic "eno2" { mac = "52:54:00:aa:00:02" }`,
		`bond "bond0" { slaves = [nic.eno1, nic.eno2] mode = "802.3ad" miimon = 100 lacp_rate = "fast" mtu = 9000 }`,
		`vlan "bond0_50" { link = bond.bond0 id = 50 mtu = 9000 addresses = ["203.0.113.21/24"] }`,
		`bridge "vmbr0" { ports = [bond.bond0] stp = false forward_delay = 0 ageing_time = 300 vlan_filtering = false multicast_snooping = true mtu = 9000 addresses = ["198.51.100.21/24"] gateway = "198.51.100.1" }`,
		`route "to_203_0_113_128_25" { to = "203.0.113.128/25" via = "203.0.113.1" dev = vlan.bond0_50 }`,
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("plan lacks %q:\n%s", want, src)
		}
	}
	var diags bytes.Buffer
	doc.WriteDiags(&diags)
	if !strings.Contains(diags.String(), "link tap100i0: warning: tap100i0 is a tap on vmbr0 (a guest's): left to libvirt") {
		t.Errorf("diagnostics:\n%s", diags.String())
	}
	if p, _, d := Check("live.hcl", src, nil); p == nil {
		t.Fatal(d.Error())
	}
}

// TestImportLiveBridgeVLANs: the membership the kernel reports for the ports of a
// VLAN-filtering bridge becomes port blocks (the PVID as pvid, untagged ones as untagged),
// the bridge's own is written only when it is more than VLAN 1 plus its VLAN interfaces,
// and a state read without the VLAN dump is reported, not guessed.
func TestImportLiveBridgeVLANs(t *testing.T) {
	up := uint32(unix.IFF_UP)
	members := func(s string, pvid int, untagged string) *live.BridgeVLANs {
		v := &live.BridgeVLANs{PVID: pvid}
		var err error
		if v.VIDs, err = vid.Parse(s); err != nil {
			t.Fatal(err)
		}
		if v.Untagged, err = vid.Parse(untagged); err != nil {
			t.Fatal(err)
		}
		return v
	}
	mac := func(s string) net.HardwareAddr { m, _ := net.ParseMAC(s); return m }
	state := func(self *live.BridgeVLANs, withVLANs bool) *live.State {
		links := []*live.Link{
			{Index: 2, Name: "eno1", MAC: mac("52:54:00:bb:00:01"), MTU: 1500, Flags: up, MasterIndex: 11, SlaveKind: "bridge",
				BridgeVLANs: members("1-4094", 1, "1")},
			{Index: 3, Name: "eno2", MAC: mac("52:54:00:bb:00:02"), MTU: 1500, Flags: up, MasterIndex: 11, SlaveKind: "bridge",
				BridgeVLANs: members("30,40", 30, "30,40")},
			{Index: 11, Name: "vmbr0", Kind: "bridge", MTU: 1500, Flags: up, BridgeVLANs: self,
				Bridge: &live.Bridge{VLANFiltering: true, AgeingTime: 30000}},
			{Index: 12, Name: "vmbr0.50", Kind: "vlan", MTU: 1500, Flags: up, ParentIndex: 11, VLAN: &live.VLAN{ID: 50, Protocol: unix.ETH_P_8021Q}},
		}
		s := live.NewState(links, nil)
		s.Included.VLANs = withVLANs
		return s
	}
	for _, c := range []struct {
		name      string
		self      *live.BridgeVLANs
		withVLANs bool
		want      []string
		lacks     string
		diag      string
	}{
		{"self as the plan makes it", members("1,50", 1, "1"), true,
			[]string{`port { link = nic.eno1 vids = ["2-4094"] }`, `port { link = nic.eno2 vids = [] pvid = 30 untagged = [40] }`},
			"multicast_snooping = false vids", ""},
		{"self beyond it", members("1,50,60", 1, "1"), true,
			[]string{`multicast_snooping = false vids = [50, 60]`,
				`port { link = nic.eno1 vids = ["2-4094"] }`},
			"", ""},
		{"not read", nil, false, nil, "port { ", "link vmbr0: warning: bridge vmbr0: VLAN membership not read"},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc := ImportLive(state(c.self, c.withVLANs), Options{})
			src := doc.HCL()
			flat := squeeze(strings.ReplaceAll(string(src), "\n", " "))
			for _, want := range c.want {
				if !strings.Contains(flat, squeeze(want)) {
					t.Errorf("plan lacks %q:\n%s", want, src)
				}
			}
			if c.lacks != "" && strings.Contains(flat, squeeze(c.lacks)) {
				t.Errorf("plan has %q:\n%s", c.lacks, src)
			}
			var diags bytes.Buffer
			doc.WriteDiags(&diags)
			if c.diag != "" && !strings.Contains(diags.String(), c.diag) {
				t.Errorf("diagnostics lack %q:\n%s", c.diag, diags.String())
			}
			if c.withVLANs {
				if p, _, d := Check("live.hcl", src, nil); p == nil {
					t.Fatal(d.Error())
				}
			}
		})
	}
}
