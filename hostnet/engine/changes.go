// Package engine compares a host plan with the live kernel state (Diff), turns the
// difference into an ordered list of kernel operations (Steps) and runs them (Apply), then
// verifies by reading the state back once.
//
// Every interface hostnet creates carries the ownership mark IFLA_IFALIAS
// "hostnet:<plan address>"; routes it adds carry rtm_protocol live.RouteProtocol. Only
// marked objects are ever deleted. NICs are never deleted: they are found by MAC, enslaved
// and released.
//
// Bridge forwarding settings (plan.Bridge: mac, arp_notify, ageing_time, port blocks, fdb
// blocks) are compared only where the plan sets them. They need more than the three dumps
// of live.Read: read the state with Read(ns, plan) (live.ReadWith and ReadOptions), which
// adds a /proc/sys read per bridge that sets arp_notify and one AF_BRIDGE neighbour dump
// when a bridge has fdb blocks; Diff refuses a state read without them. Static FDB entries
// carry no ownership mark: on a bridge with fdb blocks, the static entries on the ports the
// plan names are the plan's (others are removed, as addresses are); entries on other ports
// (guest taps) and on bridges without fdb blocks are never touched.
//
// VLAN-aware bridges (plan.VLANs on a bridge and its port blocks, and the VLAN interfaces
// on the bridge) add one AF_BRIDGE link dump to the read; the memberships the plan writes
// are made exact with at most one removal and one addition per device, as VID ranges
// (bridgevlan.go). Guest ports are the watcher's (bridge/guestvlan), never the engine's.
package engine

import (
	"encoding/json"
	"fmt"

	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/plan"
)

// Action is what happens to one object.
type Action string

// Actions, as the CLI renders them: "+ create", "~ update in place", "-/+ replace",
// "- delete".
const (
	NoOp    Action = "no-op"
	Create  Action = "create"
	Update  Action = "update"
	Replace Action = "replace"
	Delete  Action = "delete"
)

// AttrChange is one attribute's old and new value, rendered as text. Old is empty for a new
// value (an address added), New is empty for a value removed.
type AttrChange struct {
	Name string `json:"name"`
	Old  string `json:"old,omitempty"`
	New  string `json:"new,omitempty"`
	// Needs says what the change forces, e.g. "bond down and slaves released"; empty for
	// changes made in place.
	Needs string `json:"needs,omitempty"`
	// Why explains an attribute the kernel did not take, when the apply knows the cause.
	Why string `json:"why,omitempty"`
}

// Change is the planned change of one object.
type Change struct {
	Address string       `json:"address"` // plan address (bond.bond0), or link.<name> for an unplanned marked link
	Kind    string       `json:"kind"`    // nic, bond, vlan, bridge, route
	Name    string       `json:"name"`    // kernel name, or a route's destination
	Action  Action       `json:"action"`
	Attrs   []AttrChange `json:"attrs,omitempty"`
	// Flaps lists the links that go down and come back up (replace, and in-place changes
	// that the kernel only takes with a link down).
	Flaps []string `json:"flaps,omitempty"`
	// Unplugged lists the ports of a deleted bridge that the plan does not name (guest
	// taps): their guests lose the network until re-plugged, e.g. onto the VLAN-aware
	// bridge that replaces per-VLAN bridges.
	Unplugged []string `json:"unplugged,omitempty"`
	Reason    string   `json:"reason,omitempty"` // why a replace, or why an object is left alone
}

// Summary counts objects by action.
type Summary struct {
	Create  int `json:"create"`
	Update  int `json:"update"`
	Replace int `json:"replace"`
	Delete  int `json:"delete"`
	Adopt   int `json:"adopt"` // existing links taken over by marking them (adopt.go)
	NoOp    int `json:"no_op"`
}

// Changes is the whole plan of changes: JSON-serializable and rendering-neutral.
type Changes struct {
	Objects  []Change `json:"objects"`
	Summary  Summary  `json:"summary"`
	Changed  bool     `json:"changed"` // whether anything changes
	NumSteps int      `json:"steps"`   // kernel operations Apply will run

	steps   []Step
	plan    *plan.Plan
	state   *live.State
	destroy bool
	downed  []string // links the steps set down and up again (differ.downed), for NotConvergedError
}

// HasChanges reports whether applying would change anything.
func (c *Changes) HasChanges() bool { return c.Changed }

// Steps returns the ordered kernel operations. Each Step is exactly one kernel operation,
// so the k-th step is the k-th kernel operation: one netlink request, or (arp_notify) one
// write to /proc/sys.
func (c *Changes) Steps() []Step { return c.steps }

// ChangedObjects lists only the objects that change.
func (c *Changes) ChangedObjects() []Change {
	var out []Change
	for _, o := range c.Objects {
		if o.Action != NoOp {
			out = append(out, o)
		}
	}
	return out
}

func (c *Changes) finish() {
	c.Summary = Summary{}
	for _, o := range c.Objects {
		switch o.Action {
		case Create:
			c.Summary.Create++
		case Update:
			c.Summary.Update++
		case Replace:
			c.Summary.Replace++
		case Delete:
			c.Summary.Delete++
		case Adopt:
			c.Summary.Adopt++
		default:
			c.Summary.NoOp++
		}
	}
	c.NumSteps = len(c.steps)
	c.Changed = len(c.steps) > 0
}

// Phase orders steps: deletions first (routes, addresses, links), then NICs, bonds, bridges,
// VLANs, bridge ports, addresses, links up, routes, and last what needs it all (active slave).
type Phase int

// Phases in execution order.
const (
	PhaseRoutesDel Phase = iota
	PhaseAddrsDel
	PhaseLinksDel
	PhaseNICs
	PhaseBonds
	PhaseBridges
	PhaseVLANs
	PhasePorts
	PhaseAddrs
	PhaseUp
	PhaseRoutes
	PhaseFinal
)

var phaseNames = []string{"delete routes", "remove addresses", "delete links", "nics", "bonds",
	"bridges", "vlans", "bridge ports", "addresses", "links up", "routes", "final"}

func (p Phase) String() string {
	if int(p) < len(phaseNames) {
		return phaseNames[p]
	}
	return fmt.Sprintf("phase(%d)", int(p))
}

// MarshalText renders the phase by name in JSON.
func (p Phase) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// Step is one kernel operation.
type Step struct {
	Phase  Phase  `json:"phase"`
	Object string `json:"object"` // plan address of the object it belongs to
	Desc   string `json:"description"`
	op     op
}

// String is the human description.
func (s Step) String() string { return fmt.Sprintf("[%s] %s: %s", s.Phase, s.Object, s.Desc) }

// MarshalJSON is the default encoding (kept explicit so unexported fields never leak).
func (s Step) MarshalJSON() ([]byte, error) {
	type plain struct {
		Phase  Phase  `json:"phase"`
		Object string `json:"object"`
		Desc   string `json:"description"`
	}
	return json.Marshal(plain{s.Phase, s.Object, s.Desc})
}
