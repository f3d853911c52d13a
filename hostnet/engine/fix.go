package engine

import (
	"fmt"
	"net"
	"strconv"

	"github.com/hostnet/hostnet/hostnet/live"
)

// LinkFix sets attributes of one existing link that a plan cannot express: the
// administrative state (a plan only ever brings links up), the alias of a link hostnet did
// not create (a plan always marks what it manages), a bridge port's or bond slave's master
// when the plan would only add, never remove, and MTU or MAC the kernel chose. Restoring a
// snapshot (package safe) uses it for what is left after diffing the snapshot as a plan.
// Nil pointers and zero values leave the attribute alone.
type LinkFix struct {
	Link   string           `json:"link"`
	Master *string          `json:"master,omitempty"` // "" releases
	MTU    int              `json:"mtu,omitempty"`
	MAC    net.HardwareAddr `json:"mac,omitempty"`
	Alias  *string          `json:"alias,omitempty"` // "" clears
	Up     *bool            `json:"up,omitempty"`
}

// FixChanges turns fixes of links in live state s into Changes for Apply: one step (one RTM_NEWLINK) per attribute,
// masters first, then MTU and MAC, aliases, links set down, links set up. Apply does not
// verify them by a re-diff (there is no plan); the caller reads the state back.
func FixChanges(s *live.State, fixes []LinkFix) *Changes {
	var steps []Step
	add := func(ph Phase, f LinkFix, desc string, o op) {
		o.kind, o.link = opLinkSet, f.Link
		steps = append(steps, Step{Phase: ph, Object: "link." + f.Link, Desc: desc, op: o})
	}
	for _, f := range fixes {
		if f.Master != nil {
			if *f.Master == "" {
				add(PhaseNICs, f, "release "+f.Link, op{master: ptr("")})
			} else {
				add(PhasePorts, f, "set "+f.Link+" master "+*f.Master, op{master: ptr(*f.Master)})
			}
		}
	}
	for _, f := range fixes {
		if f.MTU > 0 {
			add(PhaseBonds, f, fmt.Sprintf("set %s mtu %d", f.Link, f.MTU), op{mtu: f.MTU})
		}
		if f.MAC != nil {
			add(PhaseBonds, f, "set "+f.Link+" mac "+f.MAC.String(), op{mac: f.MAC})
		}
	}
	for _, f := range fixes {
		if f.Alias != nil {
			add(PhaseFinal, f, "set "+f.Link+" alias "+strconv.Quote(*f.Alias), op{alias: ptr(*f.Alias)})
		}
	}
	for _, up := range []bool{false, true} {
		for _, f := range fixes {
			if f.Up != nil && *f.Up == up {
				add(PhaseUp, f, "set "+f.Link+" "+map[bool]string{false: "down", true: "up"}[up], op{up: ptr(up)})
			}
		}
	}
	c := &Changes{Objects: []Change{}, steps: steps, state: s}
	c.finish()
	return c
}
