package engine

import (
	"strings"
	"testing"
)

// A not-converged IPv6 address, gateway or route after an apply that set links down says
// why; one on a link that stayed up, an IPv4 address, or an apply without downed links does not.
func TestExplainDowned(t *testing.T) {
	cases := []struct {
		name   string
		obj    Change
		downed []string
		want   string // "" = no explanation
	}{
		{"ipv6 on downed bond", Change{Name: "bond0", Attrs: []AttrChange{{Name: "address", New: "2001:db8::1/64"}}},
			[]string{"bond0"}, "removes IPv6 addresses"},
		{"ipv6 on a link that stayed up", Change{Name: "br0", Attrs: []AttrChange{{Name: "address", New: "2001:db8::1/64"}}},
			[]string{"bond0"}, ""},
		{"ipv4 address", Change{Name: "bond0", Attrs: []AttrChange{{Name: "address", New: "198.51.100.10/24"}}},
			[]string{"bond0"}, ""},
		{"route", Change{Name: "203.0.113.0/24", Kind: "route", Attrs: []AttrChange{{Name: "route", New: "via 198.51.100.1"}}},
			[]string{"bond0", "bond0.100"}, "bond0, bond0.100 went down and up"},
		{"nothing went down", Change{Name: "bond0", Attrs: []AttrChange{{Name: "gateway", New: "198.51.100.1"}}}, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			objs := []Change{c.obj}
			explainDowned(objs, c.downed)
			why := objs[0].Attrs[0].Why
			if (c.want == "") != (why == "") || !strings.Contains(why, c.want) {
				t.Fatalf("why = %q, want %q", why, c.want)
			}
			if msg := (&NotConvergedError{Changes: objs}).Error(); why != "" && !strings.Contains(msg, "("+why+")") {
				t.Errorf("error %q lacks the reason", msg)
			}
		})
	}
}
