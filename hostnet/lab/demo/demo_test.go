package demo

import (
	"net/netip"
	"testing"

	"github.com/hostnet/hostnet/hostnet/plan"
)

// The remote and the guest get free addresses of the plan's subnet, also in small
// prefixes, and never loop.
func TestPickAddresses(t *testing.T) {
	mk := func(addr, gw string) *plan.Plan {
		br := &plan.Bridge{Iface: plan.Iface{Kind: plan.KindBridge, Name: "br0", Addresses: []netip.Prefix{netip.MustParsePrefix(addr)}}}
		if gw != "" {
			br.Gateway = netip.MustParseAddr(gw)
		}
		return &plan.Plan{Bridges: []*plan.Bridge{br}}
	}
	tests := []struct {
		addr, gw, remote, guest string
	}{
		{"198.51.100.60/24", "198.51.100.1", "198.51.100.1/24", "198.51.100.200/24"},
		{"198.51.100.60/24", "", "198.51.100.100/24", "198.51.100.200/24"},
		{"203.0.113.1/29", "", "203.0.113.2/29", "203.0.113.3/29"},
		{"203.0.113.1/30", "", "203.0.113.2/30", ""}, // no room for a guest
	}
	for _, tt := range tests {
		remote, guest, br := pickAddresses(mk(tt.addr, tt.gw))
		gs := ""
		if guest.IsValid() {
			gs = guest.String()
		}
		if remote.String() != tt.remote || gs != tt.guest || (gs != "") != (br == "br0") {
			t.Errorf("%s via %q: remote %s guest %q on %q; want %s, %q", tt.addr, tt.gw, remote, gs, br, tt.remote, tt.guest)
		}
	}
}
