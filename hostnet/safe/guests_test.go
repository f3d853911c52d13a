package safe

import (
	"net"
	"slices"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/plan"
)

// guestHost is br0 (hostnet's) with the NIC eno1 and the guests' taps given as ports.
func guestHost(taps map[string]string) *live.State {
	nic, _ := net.ParseMAC("52:54:00:00:00:01")
	links := []*live.Link{
		{Index: 2, Name: "eno1", MAC: nic, MTU: 1500, Flags: unix.IFF_UP, MasterIndex: 3},
		{Index: 3, Name: "br0", Kind: "bridge", MAC: nic, MTU: 1500, Flags: unix.IFF_UP, Alias: live.MarkFor("bridge.br0"),
			Bridge: &live.Bridge{ForwardDelay: 1500, AgeingTime: 30000}},
	}
	idx := 10
	for _, name := range []string{"vnet0", "vnet1", "vnet2"} { // stable order
		if mac, ok := taps[name]; ok {
			hw, _ := net.ParseMAC(mac)
			links = append(links, &live.Link{Index: idx, Name: name, Kind: "tun", MAC: hw, MTU: 1500, Flags: unix.IFF_UP, MasterIndex: 3})
		}
		idx++
	}
	if mac, ok := taps["br0"]; ok { // a bridge wears the lowest MAC of its ports
		links[1].MAC, _ = net.ParseMAC(mac)
	}
	return live.NewState(links, nil)
}

func portNames(p *plan.Plan) []string {
	var out []string
	for _, b := range p.Bridges {
		for _, x := range b.Ports {
			out = append(out, x.Common().Name)
		}
	}
	return out
}

// A restore never trips over guests: a tap gone since the snapshot is left out of the plan
// and of Verify, a tap attached since is no difference, and a recorded tap's settings are
// never applied to another device that took its name.
func TestRestoreLeavesGuestsAlone(t *testing.T) {
	const a, b, c = "fe:54:00:00:00:0a", "fe:54:00:00:00:0b", "fe:54:00:00:00:0c"
	then := map[string]string{"vnet0": a, "vnet1": b}
	for _, tc := range []struct {
		name      string
		then, now map[string]string
		wantPorts []string
	}{
		{"unchanged", then, map[string]string{"vnet0": a, "vnet1": b}, []string{"eno1", "vnet0", "vnet1"}},
		{"guest stopped", then, map[string]string{"vnet0": a}, []string{"eno1", "vnet0"}},
		// The bridge wore the stopped guest's MAC, and a restore pinned it there.
		{"guest stopped, its MAC on the bridge", map[string]string{"vnet0": a, "vnet1": b, "br0": b},
			map[string]string{"vnet0": a, "br0": b}, []string{"eno1", "vnet0"}},
		{"guest started", then, map[string]string{"vnet0": a, "vnet1": b, "vnet2": c}, []string{"eno1", "vnet0", "vnet1"}},
		{"name reused by another guest", then, map[string]string{"vnet0": a, "vnet1": c}, []string{"eno1", "vnet0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap := Take(guestHost(tc.then), nil, "test")
			s := guestHost(tc.now)
			p, err := snap.PlanFor(s)
			if err != nil {
				t.Fatal(err)
			}
			got := portNames(p)
			slices.Sort(got)
			if !slices.Equal(got, tc.wantPorts) {
				t.Errorf("restore plan ports %v, want %v", got, tc.wantPorts)
			}
			if d := snap.Verify(s); len(d) > 0 {
				t.Errorf("Verify reports guests' taps: %v", d)
			}
			if f := snap.Fixes(s); len(f) > 0 {
				t.Errorf("Fixes touch a guest's tap: %+v", f)
			}
		})
	}
}
