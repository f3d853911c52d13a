package libvirtnet

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Action is what a Change does to one network.
type Action string

const (
	// Create defines, starts and (if planned) autostarts a new network.
	Create Action = "create"
	// Update changes a network in place: portgroups through virNetworkUpdate on the live
	// network and its config, autostart, starting a stopped network, or redefining the
	// config of a network that is not running. Guests stay attached.
	Update Action = "update"
	// Replace redefines a running network's config and restarts it, because libvirt
	// cannot change that attribute (bridge, forward mode, MTU, network bandwidth) on a
	// running network. Guests listed in Change.Guests keep their tap devices on the
	// kernel bridge, but libvirt's view of their ports is reset; after a bridge change
	// they stay on the old bridge until their interfaces are re-plugged.
	Replace Action = "replace"
	// Delete stops and undefines a network hostnet created that is no longer planned.
	Delete Action = "delete"
)

// AttrChange is one attribute's old and new value, as text.
type AttrChange struct {
	Name string `json:"name"`
	Old  string `json:"old"`
	New  string `json:"new"`
	// Restart is true when libvirt applies the new value only to a restarted network.
	Restart bool `json:"restart,omitempty"`
}

// Change is the plan for one network.
type Change struct {
	Action  Action       `json:"action"`
	Name    string       `json:"name"`
	Address string       `json:"address,omitempty"` // plan address (or, for a delete, the one in the mark)
	Bridge  string       `json:"bridge,omitempty"`  // the bridge the network is (to be) on
	Attrs   []AttrChange `json:"attributes,omitempty"`
	// RestartNeeded: the network is stopped and started again (Action Replace).
	RestartNeeded bool `json:"restart_needed,omitempty"`
	// Guests are the libvirt domains with ports on the network, for changes that
	// restart or remove a running network (filled by Conn.Plan; Diff alone cannot know).
	Guests []string `json:"guests,omitempty"`

	desired *Network
	live    *Live
	define  bool  // (re)define the config from desired
	start   bool  // start the network (create, or a stopped network)
	auto    *bool // set autostart
	pgOps   []pgOp
}

// pgOp is one virNetworkUpdate of a portgroup on a running network.
type pgOp struct {
	cmd string // "add", "modify", "delete"
	pg  PortGroup
}

// Changes is a libvirt plan: what Apply would do, in order.
type Changes struct {
	Changes []Change `json:"changes"`
	// Foreign lists the networks that carry no hostnet mark; hostnet never touches them.
	Foreign []string `json:"foreign,omitempty"`
}

// Empty reports whether there is nothing to do.
func (c *Changes) Empty() bool { return c == nil || len(c.Changes) == 0 }

// ForeignError is returned by Diff when a planned network's name is taken by a network
// hostnet did not create.
type ForeignError struct {
	Name, Address string
}

func (e *ForeignError) Error() string {
	return fmt.Sprintf("%s: libvirt network %q exists and was not created by hostnet (its XML has no hostnet owner mark); hostnet will not touch it: rename the planned network or remove the existing one (virsh net-destroy/net-undefine %s)", e.Address, e.Name, e.Name)
}

// Diff compares the planned networks with what libvirt has. Owned networks that are not
// planned are deleted. It returns an error (and no changes) when a planned name belongs
// to a foreign network.
func Diff(desired []Network, st *State) (*Changes, error) {
	ch := &Changes{}
	byName := map[string]*Live{}
	for i := range st.Networks {
		l := &st.Networks[i]
		byName[l.Name] = l
		if !l.Owned {
			ch.Foreign = append(ch.Foreign, l.Name)
		}
	}
	var errs []error
	planned := map[string]bool{}
	var rest []Change
	for i := range desired {
		d := &desired[i]
		planned[d.Name] = true
		l := byName[d.Name]
		switch {
		case l == nil:
			t := true
			c := Change{Action: Create, Name: d.Name, Address: d.Address, Bridge: d.Bridge, desired: d, define: true, start: true}
			if d.Autostart {
				c.auto = &t
			}
			c.Attrs = createAttrs(d)
			rest = append(rest, c)
		case !l.Owned:
			if c, ok := adoptable(d, l); ok { // adopt.go
				rest = append(rest, c)
			} else {
				errs = append(errs, &ForeignError{Name: d.Name, Address: d.Address})
			}
		default:
			if c, ok := diffOne(d, l); ok {
				rest = append(rest, c)
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	// Deletes first: they may free a bridge or a name.
	for i := range st.Networks {
		l := &st.Networks[i]
		if l.Owned && !planned[l.Name] {
			ch.Changes = append(ch.Changes, deleteChange(l))
		}
	}
	ch.Changes = append(ch.Changes, rest...)
	return ch, nil
}

// DestroyChanges deletes the owned networks that the plan names (hostnet destroy): never
// a foreign one, never an owned one the plan does not name.
func DestroyChanges(desired []Network, st *State) *Changes {
	ch := &Changes{}
	want := map[string]bool{}
	for _, d := range desired {
		want[d.Name] = true
	}
	for i := range st.Networks {
		l := &st.Networks[i]
		switch {
		case !l.Owned:
			ch.Foreign = append(ch.Foreign, l.Name)
		case want[l.Name]:
			ch.Changes = append(ch.Changes, deleteChange(l))
		}
	}
	return ch
}

func deleteChange(l *Live) Change {
	c := Change{Action: Delete, Name: l.Name, Address: l.Address, Bridge: l.Bridge, live: l}
	c.Attrs = []AttrChange{{Name: "bridge", Old: l.Bridge, New: ""}}
	return c
}

func createAttrs(d *Network) []AttrChange {
	a := []AttrChange{
		{Name: "forward", New: d.Forward},
		{Name: "bridge", New: d.Bridge},
		{Name: "autostart", New: strconv.FormatBool(d.Autostart)},
	}
	if d.MTU > 0 {
		a = append(a, AttrChange{Name: "mtu", New: strconv.Itoa(d.MTU)})
	}
	if d.Bandwidth != nil {
		a = append(a, AttrChange{Name: "bandwidth", New: d.Bandwidth.String()})
	}
	for _, pg := range d.PortGroups {
		a = append(a, AttrChange{Name: "portgroup." + pg.Name, New: pg.String()})
	}
	return a
}

// diffOne compares a planned network with its owned live counterpart.
func diffOne(d *Network, l *Live) (Change, bool) {
	c := Change{Name: d.Name, Address: d.Address, Bridge: d.Bridge, desired: d, live: l}
	restart := false
	attr := func(name, old, new string, needsRestart bool) {
		if old == new {
			return
		}
		c.Attrs = append(c.Attrs, AttrChange{Name: name, Old: old, New: new, Restart: needsRestart && l.Active})
		if needsRestart {
			restart = true
		}
		c.define = true
	}
	attr("forward", l.Forward, d.Forward, true)
	attr("bridge", l.Bridge, d.Bridge, true)
	attr("mtu", itoa0(l.MTU), itoa0(d.MTU), true)
	attr("bandwidth", l.Bandwidth.String(), d.Bandwidth.String(), true)
	attr("address", l.Address, d.Address, false) // only the mark: config only

	// Portgroups: virNetworkUpdate changes them on the running network and its config.
	old, new := map[string]PortGroup{}, map[string]PortGroup{}
	for _, pg := range l.PortGroups {
		old[pg.Name] = pg
	}
	for _, pg := range d.PortGroups {
		new[pg.Name] = pg
	}
	var dels, losing, rest []pgOp
	for _, pg := range sortedPortGroups(l.PortGroups) {
		if _, ok := new[pg.Name]; !ok {
			dels = append(dels, pgOp{cmd: "delete", pg: pg})
			c.Attrs = append(c.Attrs, AttrChange{Name: "portgroup." + pg.Name, Old: pg.String()})
		}
	}
	for _, pg := range sortedPortGroups(d.PortGroups) {
		o, ok := old[pg.Name]
		switch {
		case !ok:
			rest = append(rest, pgOp{cmd: "add", pg: pg})
			c.Attrs = append(c.Attrs, AttrChange{Name: "portgroup." + pg.Name, New: pg.String()})
		case o.String() != pg.String():
			op := pgOp{cmd: "modify", pg: pg}
			// libvirt refuses a second default: the one that loses it goes first.
			if o.Default && !pg.Default {
				losing = append(losing, op)
			} else {
				rest = append(rest, op)
			}
			c.Attrs = append(c.Attrs, AttrChange{Name: "portgroup." + pg.Name, Old: o.String(), New: pg.String()})
		}
	}
	c.pgOps = append(append(dels, losing...), rest...)

	if !l.Persistent {
		c.Attrs = append(c.Attrs, AttrChange{Name: "persistent", Old: "false", New: "true"})
		c.define = true
	}
	if l.Autostart != d.Autostart {
		v := d.Autostart
		c.auto = &v
		c.Attrs = append(c.Attrs, AttrChange{Name: "autostart", Old: strconv.FormatBool(l.Autostart), New: strconv.FormatBool(v)})
	}
	if !l.Active {
		c.start = true
		c.Attrs = append(c.Attrs, AttrChange{Name: "active", Old: "false", New: "true"})
	}
	if len(c.Attrs) == 0 {
		return c, false
	}
	switch {
	case restart && l.Active:
		c.Action, c.RestartNeeded = Replace, true
		c.define, c.pgOps = true, nil // the new config carries the portgroups
	case !l.Active && len(c.pgOps) > 0:
		c.Action, c.define, c.pgOps = Update, true, nil // a stopped network: just redefine
	default:
		c.Action = Update
	}
	return c, true
}

func itoa0(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// String is a stable text form of a bandwidth, "" for none.
func (b *Bandwidth) String() string {
	if b == nil {
		return ""
	}
	var parts []string
	for _, d := range []struct {
		n string
		r *Rate
	}{{"inbound", b.Inbound}, {"outbound", b.Outbound}} {
		if d.r == nil {
			continue
		}
		s := fmt.Sprintf("%s average=%d", d.n, d.r.Average)
		if d.r.Peak != 0 {
			s += fmt.Sprintf(" peak=%d", d.r.Peak)
		}
		if d.r.Burst != 0 {
			s += fmt.Sprintf(" burst=%d", d.r.Burst)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// String is a stable text form of a portgroup.
func (pg PortGroup) String() string {
	var parts []string
	if pg.Default {
		parts = append(parts, "default")
	}
	if s := pg.Bandwidth.String(); s != "" {
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return pg.Name
	}
	return pg.Name + " (" + strings.Join(parts, "; ") + ")"
}

// Summary is a one-line-per-change text form, for logs and the CLI.
func (c *Changes) Summary() string {
	var b strings.Builder
	for _, ch := range c.Changes {
		fmt.Fprintf(&b, "%s libvirt network %s (bridge %s)", ch.Action, ch.Name, ch.Bridge)
		if ch.RestartNeeded {
			fmt.Fprintf(&b, " [restart]")
		}
		if len(ch.Guests) > 0 {
			g := append([]string(nil), ch.Guests...)
			sort.Strings(g)
			fmt.Fprintf(&b, " guests: %s", strings.Join(g, ", "))
		}
		b.WriteByte('\n')
		for _, a := range ch.Attrs {
			fmt.Fprintf(&b, "    %s: %q -> %q\n", a.Name, a.Old, a.New)
		}
	}
	return b.String()
}
