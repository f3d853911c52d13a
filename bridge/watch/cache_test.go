package watch

import (
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

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
	c.links, c.fdb, c.neighs, c.addrs = map[int]*cLink{}, map[fdbKey]time.Time{}, map[neighKey]string{}, map[int][]net.IP{}
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
		{"start", batch{}, []string{"02:00:00:00:00:11/0 198.51.100.10", "02:00:00:00:00:13/100 ", "52:54:00:aa:00:01/0 198.51.100.30"}},
		{"binding goes stale", batch{neighs: []neighMsg{{Family: unix.AF_INET, Index: br0, MAC: guest, IP: ip("198.51.100.30"), State: unix.NUD_STALE}}},
			[]string{"02:00:00:00:00:11/0 198.51.100.10", "02:00:00:00:00:13/100 ", "52:54:00:aa:00:01/0 "}},
		{"second guest learned, first aged out", batch{neighs: []neighMsg{
			{Family: unix.AF_BRIDGE, Index: tap2, Master: br0, MAC: guest2, State: unix.NUD_REACHABLE, Flags: unix.NTF_MASTER},
			{Deleted: true, Family: unix.AF_BRIDGE, Index: tap, Master: br0, MAC: guest, State: unix.NUD_REACHABLE, Flags: unix.NTF_MASTER},
		}}, []string{"02:00:00:00:00:11/0 198.51.100.10", "02:00:00:00:00:13/100 ", "52:54:00:aa:00:02/0 "}},
		{"address removed, VLAN deleted", batch{addrs: []addrMsg{{Deleted: true, Index: br0, IP: ip("198.51.100.10")}},
			links: []linkMsg{{Deleted: true, Index: vlan}}},
			[]string{"02:00:00:00:00:11/0 ", "52:54:00:aa:00:02/0 "}},
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

// A guest flooding fake MACs does not crowd out the others under the frame cap: the
// bridge's own MAC comes first, then the ports take turns, each its most recently active
// MAC first, so every port with no more than its share of the cap is announced in full.
func TestPlanFairUnderFlood(t *testing.T) {
	const bond, br0, flooder, firstGuest, guests = 10, 11, 20, 21, 3
	brMAC := mac("02:00:00:00:00:11")
	now := time.Now()
	c := newCache()
	c.links = map[int]*cLink{bond: {kind: "bond", master: br0}, br0: {kind: "bridge", mac: brMAC},
		flooder: {kind: "tun", master: br0}}
	c.fdb, c.neighs = map[fdbKey]time.Time{}, map[neighKey]string{}
	c.addrs = map[int][]net.IP{br0: {net.ParseIP("198.51.100.10").To4()}}
	// The flooder's fake MACs, all newer than the real guests' (a flood is recent) and
	// sorting before them: neither recency alone nor MAC order may decide.
	const fakes = 5000
	for i := range fakes {
		m := net.HardwareAddr{0x06, 0, 0, 0, byte(i >> 8), byte(i)}
		c.fdb[fdbKey{br0, flooder, string(m), 0}] = now.Add(-time.Duration(i) * time.Millisecond)
	}
	// The flooder's one real MAC was active an hour ago, before the flood: it is not among
	// the most recent, so a cap that covers only the newest fakes leaves it out.
	c.fdb[fdbKey{br0, flooder, string(mac("52:54:00:ff:00:01")), 0}] = now.Add(-time.Hour)
	var want []string // the real guests' MACs: three guests with two MACs each
	for g := range guests {
		port := firstGuest + g
		c.links[port] = &cLink{kind: "tun", master: br0}
		for j := range 2 {
			m := net.HardwareAddr{0x52, 0x54, 0, 0xaa, byte(g), byte(j)}
			c.fdb[fdbKey{br0, port, string(m), 0}] = now.Add(-time.Minute)
			want = append(want, m.String())
		}
	}
	// Learned through the bond (the switch's side): never announced.
	c.fdb[fdbKey{br0, bond, string(mac("52:54:00:bb:00:01")), 0}] = now

	_, anns, err := c.plan(bond)
	if err != nil {
		t.Fatal(err)
	}
	if len(anns) != 1+fakes+1+guests*2 {
		t.Fatalf("planned %d announcements, want every MAC once: %d", len(anns), 1+fakes+1+guests*2)
	}
	for _, max := range []int{2 + guests*2 + 3, 64, 16384} {
		kept, skipped := capFrames(anns, max)
		frames := 0
		got := map[string]bool{}
		for _, a := range kept {
			frames += 1 + len(a.ips)
			got[a.mac.String()] = true
		}
		if frames > max || frames+skipped != len(anns)+1 {
			t.Errorf("cap %d: %d frames sent, %d skipped, of %d", max, frames, skipped, len(anns)+1)
		}
		if kept[0].mac.String() != brMAC.String() || len(kept[0].ips) != 1 {
			t.Errorf("cap %d: first announcement %v %v, want the bridge's MAC with its address", max, kept[0].mac, kept[0].ips)
		}
		for _, m := range want {
			if !got[m] {
				t.Errorf("cap %d: guest MAC %s not announced (%d announcements kept)", max, m, len(kept))
			}
		}
		// The flooder's newest fake is in, its share is bounded, and the rest of the cap is
		// not left unused.
		if !got["06:00:00:00:00:00"] || frames != min(max, len(anns)+1) {
			t.Errorf("cap %d: newest fake announced %v, %d frames", max, got["06:00:00:00:00:00"], frames)
		}
	}
}
