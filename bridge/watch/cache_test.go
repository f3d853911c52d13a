package watch

import (
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func mac(s string) net.HardwareAddr {
	m, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

// plannedText renders c.plan(bond) as "mac/tag ip,ip" lines, for comparison.
func plannedText(t *testing.T, c *cache, bond int) []string {
	t.Helper()
	_, anns, err := c.plan(bond)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range anns {
		var ips []string
		for _, ip := range a.ips {
			ips = append(ips, ip.String())
		}
		out = append(out, a.mac.String()+"/"+strconv.Itoa(int(a.tag))+" "+strings.Join(ips, ","))
	}
	return out
}

// The cache follows link, FDB, neighbour and address events: what a failover announces
// changes with them, without a dump.
func TestCacheFollowsEvents(t *testing.T) {
	const bond, br0, vlan, br100, tap, tap2 = 10, 11, 12, 13, 20, 21
	guest, guest2, remote := mac("52:54:00:aa:00:01"), mac("52:54:00:aa:00:02"), mac("52:54:00:bb:00:01")
	brMAC, br100MAC := mac("02:00:00:00:00:11"), mac("02:00:00:00:00:13")
	ip := func(s string) net.IP { return net.ParseIP(s).To4() }
	c := newCache()
	c.links, c.fdb, c.neighs, c.addrs = map[int]*cLink{}, map[fdbKey]bool{}, map[neighKey]string{}, map[int][]net.IP{}
	c.apply(batch{
		links: []linkMsg{
			{Index: bond, Kind: "bond", Master: br0},
			{Index: br0, Kind: "bridge", MAC: brMAC},
			{Index: vlan, Kind: "vlan", Parent: bond, VLANID: 100, VLANProto: unix.ETH_P_8021Q, Master: br100},
			{Index: br100, Kind: "bridge", MAC: br100MAC},
			{Index: tap, Kind: "tun", Master: br0},
			{Index: br0, Bridge: true}, // a bridge's port notification: ignored
		},
		neighs: []neighMsg{
			{Family: unix.AF_BRIDGE, Index: tap, Master: br0, MAC: guest, State: unix.NUD_REACHABLE, Flags: unix.NTF_MASTER},
			{Family: unix.AF_BRIDGE, Index: bond, Master: br0, MAC: remote, State: unix.NUD_REACHABLE, Flags: unix.NTF_MASTER},
			{Family: unix.AF_BRIDGE, Index: br0, Master: br0, MAC: brMAC, State: unix.NUD_PERMANENT, Flags: unix.NTF_MASTER},
			{Family: unix.AF_INET, Index: br0, MAC: guest, IP: ip("198.51.100.30"), State: unix.NUD_REACHABLE},
		},
		addrs: []addrMsg{{Index: br0, IP: ip("198.51.100.10")}},
	})
	steps := []struct {
		name  string
		event batch
		want  []string
	}{
		{"start", batch{}, []string{"52:54:00:aa:00:01/0 198.51.100.30", "02:00:00:00:00:11/0 198.51.100.10", "02:00:00:00:00:13/100 "}},
		{"binding goes stale", batch{neighs: []neighMsg{{Family: unix.AF_INET, Index: br0, MAC: guest, IP: ip("198.51.100.30"), State: unix.NUD_STALE}}},
			[]string{"52:54:00:aa:00:01/0 ", "02:00:00:00:00:11/0 198.51.100.10", "02:00:00:00:00:13/100 "}},
		{"second guest learned, first aged out", batch{neighs: []neighMsg{
			{Family: unix.AF_BRIDGE, Index: tap2, Master: br0, MAC: guest2, State: unix.NUD_REACHABLE, Flags: unix.NTF_MASTER},
			{Deleted: true, Family: unix.AF_BRIDGE, Index: tap, Master: br0, MAC: guest, State: unix.NUD_REACHABLE, Flags: unix.NTF_MASTER},
		}}, []string{"52:54:00:aa:00:02/0 ", "02:00:00:00:00:11/0 198.51.100.10", "02:00:00:00:00:13/100 "}},
		{"address removed, VLAN deleted", batch{addrs: []addrMsg{{Deleted: true, Index: br0, IP: ip("198.51.100.10")}},
			links: []linkMsg{{Deleted: true, Index: vlan}}},
			[]string{"52:54:00:aa:00:02/0 ", "02:00:00:00:00:11/0 "}},
	}
	for _, s := range steps {
		c.apply(s.event)
		if got := plannedText(t, c, bond); !slices.Equal(got, s.want) {
			t.Errorf("%s: announces %q, want %q", s.name, got, s.want)
		}
	}
	if _, _, err := c.plan(99); err == nil {
		t.Error("plan of an unknown bond succeeded")
	}
}
