//go:build lab

package engine

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/hostnet/hostnet/hostnet/plan"
)

// Changing a link's only IPv4 address when its gateway and a route go through it: the
// kernel drops a link's IPv4 routes with its last IPv4 address and does not bring them back
// with the new one, so the apply adds them again after the new address (audit finding 6:
// before, the apply failed its read-back with "gateway ... is missing" and was undone).
func TestLabAddressChangeKeepsRoutes(t *testing.T) {
	labHost(t)
	withRoute := func(addr string) *plan.Plan {
		p := fixture()
		p.Bridges[0].Addresses = []netip.Prefix{netip.MustParsePrefix(addr)}
		r := &plan.Route{To: netip.MustParsePrefix("203.0.113.0/24"), Via: netip.MustParseAddr("198.51.100.1")}
		r.Addr = "route.r"
		p.Routes = []*plan.Route{r}
		return p
	}
	apply(t, withRoute("198.51.100.10/24"))
	ch, _ := apply(t, withRoute("198.51.100.20/24")) // fails the test if not converged
	d := descs(ch)
	if !slices.ContainsFunc(d, func(x string) bool { return strings.Contains(x, "again (its link's address changes)") }) {
		t.Errorf("no route re-added:\n%s", strings.Join(d, "\n"))
	}
	var routes []string
	for _, x := range read(t).Normalized() {
		if strings.HasPrefix(x, "route ") && strings.Contains(x, "dev br0") && strings.Contains(x, "via 198.51.100.1") {
			routes = append(routes, x)
		}
	}
	if len(routes) != 2 {
		t.Errorf("want the default route and 203.0.113.0/24 via 198.51.100.1, have:\n%s", strings.Join(routes, "\n"))
	}
}
