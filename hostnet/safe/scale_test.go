package safe

import (
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hostnet/hostnet/hostnet/live"
)

// vlanHost is a live state with n VLANs on one NIC, each under a bridge hostnet created,
// with an address and a proto static route through it.
func vlanHost(n int) *live.State {
	mac, _ := net.ParseMAC("52:54:00:00:00:01")
	links := []*live.Link{{Index: 2, Name: "eth0", Kind: "", MAC: mac, MTU: 1500, Flags: unix.IFF_UP}}
	var routes []live.Route
	for i := 1; i <= n; i++ {
		br := &live.Link{Index: 2*i + 1, Name: fmt.Sprintf("br%d", i), Kind: "bridge", MAC: mac, MTU: 1500,
			Flags: unix.IFF_UP, Alias: live.MarkFor(fmt.Sprintf("bridge.tenant[\"%d\"]", i)),
			Bridge: &live.Bridge{ForwardDelay: 1550, AgeingTime: 30000}}
		pfx := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), 1}), 24)
		br.Addrs = []live.Addr{{Prefix: pfx}}
		v := &live.Link{Index: 2*i + 2, Name: fmt.Sprintf("eth0.%d", i), Kind: "vlan", MAC: mac, MTU: 1500,
			Flags: unix.IFF_UP, ParentIndex: 2, MasterIndex: br.Index, Alias: live.MarkFor(fmt.Sprintf("vlan.tenant[\"%d\"]", i)),
			VLAN: &live.VLAN{ID: i, Protocol: unix.ETH_P_8021Q}}
		links = append(links, br, v)
		dst := netip.PrefixFrom(netip.AddrFrom4([4]byte{172, 16 + byte(i>>8), byte(i), 0}), 24)
		routes = append(routes, live.Route{Family: unix.AF_INET, Table: unix.RT_TABLE_MAIN, Dst: dst,
			Gateway: netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), 2}), OIF: br.Index, Protocol: unix.RTPROT_STATIC,
			Type: unix.RTN_UNICAST})
	}
	return live.NewState(links, routes)
}

// restorePath runs what Restore runs besides the kernel: Plan, Adopt, Fixes, RouteFixes,
// BridgeFixes and Verify, against a state whose routes are gone.
func restorePath(t *testing.T, n int) time.Duration {
	s := vlanHost(n)
	snap := Take(s, nil, "scale")
	if len(snap.Links) != 2*n+1 || len(snap.Routes) != n {
		t.Fatalf("snapshot of %d links, %d routes", len(snap.Links), len(snap.Routes))
	}
	now := vlanHost(n)
	now = live.NewState(now.Links, nil)
	best := time.Duration(1 << 62)
	for range 3 {
		t0 := time.Now()
		snap.byName = nil
		p, err := snap.Plan()
		if err != nil {
			t.Fatal(err)
		}
		if len(p.VLANs) != n || len(p.Bridges) != n || len(p.Routes) != 0 {
			t.Fatalf("plan: %d VLANs, %d bridges, %d routes", len(p.VLANs), len(p.Bridges), len(p.Routes))
		}
		snap.Adopt(now)
		if f := snap.Fixes(now); len(f) != 0 {
			t.Fatalf("fixes: %v", f)
		}
		if r := snap.RouteFixes(now); len(r) != n || r[0].Protocol != unix.RTPROT_STATIC {
			t.Fatalf("route fixes: %d", len(r))
		}
		if b := snap.BridgeFixes(now); len(b) != 0 {
			t.Fatalf("bridge fixes: %v", b)
		}
		if d := snap.Verify(now); len(d) != n {
			t.Fatalf("verify: %d differences, want the %d routes", len(d), n)
		}
		best = min(best, time.Since(t0))
	}
	return best
}

// The restore path is linear in the number of links: 4x the VLANs may cost well under the
// 16x a quadratic step would.
func TestRestorePathLinear(t *testing.T) {
	small, large := restorePath(t, 1024), restorePath(t, 4094)
	t.Logf("1024 VLANs: %s, 4094 VLANs: %s", small, large)
	if large > 10*small && large > 200*time.Millisecond {
		t.Fatalf("restore path is not linear: 1024 VLANs %s, 4094 VLANs %s", small, large)
	}
}
