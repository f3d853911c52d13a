package libvirtnet

import (
	"errors"
	"fmt"

	"github.com/vishvananda/netlink"
	"libvirt.org/go/libvirt"
)

// Apply carries out changes (from Diff, Conn.Plan or DestroyChanges) in order: deletes
// first, then updates, replaces and creates.
//
// bridgeExists tells whether a bridge is on the host, as the kernel side verified it
// (hostnet must not rely on libvirt, which starts a bridge-mode network on a missing
// bridge). Before any write, every network to be defined, started or updated must have
// its bridge; otherwise Apply changes nothing and says which bridges are missing.
//
// On an error Apply restores every network it touched to what Read saw (config,
// autostart, running or not) and returns the error together with any restore failure.
func Apply(c *Conn, ch *Changes, bridgeExists func(name string) bool) error {
	return ApplyProgress(c, ch, bridgeExists, nil)
}

// ApplyProgress is Apply telling progress, when not nil, how many of the changes are done
// before each one and after the last (a terminal's progress line: 500 networks take tens
// of seconds).
func ApplyProgress(c *Conn, ch *Changes, bridgeExists func(name string) bool, progress func(done, total int)) error {
	if progress == nil {
		progress = func(int, int) {}
	}
	if ch.Empty() {
		return nil
	}
	missing := map[string][]string{}
	for _, x := range ch.Changes {
		if x.Action == Delete {
			if x.live == nil {
				return fmt.Errorf("libvirt network %s: change was not made by Diff (no live state)", x.Name)
			}
			continue
		}
		if x.desired == nil || (x.Action != Create && x.live == nil) {
			return fmt.Errorf("libvirt network %s: change was not made by Diff", x.Name)
		}
		if bridgeExists == nil || !bridgeExists(x.Bridge) {
			missing[x.Bridge] = append(missing[x.Bridge], x.Name)
		}
	}
	if len(missing) > 0 {
		return missingBridgesError(missing)
	}
	var done []*Change
	for i := range ch.Changes {
		progress(i, len(ch.Changes))
		x := &ch.Changes[i]
		done = append(done, x) // a partly applied change is restored too
		if err := c.apply(x); err != nil {
			var rerrs []error
			for j := len(done) - 1; j >= 0; j-- {
				if rerr := c.restore(done[j]); rerr != nil {
					rerrs = append(rerrs, rerr)
				}
			}
			if len(rerrs) > 0 {
				return fmt.Errorf("%w; restoring the networks as they were also failed: %w", err, errors.Join(rerrs...))
			}
			return fmt.Errorf("%w (networks restored as they were)", err)
		}
	}
	progress(len(ch.Changes), len(ch.Changes))
	return nil
}

func (c *Conn) apply(x *Change) error {
	switch x.Action {
	case Create, Update, Replace, Delete:
	default:
		return fmt.Errorf("libvirt network %s: unknown action %q", x.Name, x.Action)
	}
	// One handle per change: from define, or one lookup.
	var n *libvirt.Network
	defer func() {
		if n != nil {
			n.Free()
		}
	}()
	handle := func() error {
		if n != nil {
			return nil
		}
		var err error
		n, err = c.lookup(x.Name)
		return err
	}
	if x.Action == Delete {
		if err := handle(); err != nil {
			return err
		}
		if x.live.Active {
			if err := c.stop(n, x.Name); err != nil {
				return err
			}
		}
		if x.live.Persistent {
			return c.undefine(n, x.Name)
		}
		return nil
	}
	if len(x.pgOps) > 0 { // running network, in place
		if err := handle(); err != nil {
			return err
		}
		for _, op := range x.pgOps {
			if err := c.updatePortGroup(n, x.Name, op); err != nil {
				return err
			}
		}
	}
	if x.define {
		uuid := ""
		if x.live != nil {
			uuid = x.live.UUID
		}
		doc, err := x.desired.XML(uuid)
		if err != nil {
			return err
		}
		d, err := c.define(x.Name, doc)
		if err != nil {
			return err
		}
		if n != nil {
			n.Free()
		}
		n = d
	}
	if x.RestartNeeded || x.start || x.auto != nil {
		if err := handle(); err != nil {
			return err
		}
	}
	if x.RestartNeeded {
		if err := c.stop(n, x.Name); err != nil {
			return err
		}
		if err := c.start(n, x.Name); err != nil {
			return err
		}
	}
	if x.start {
		if err := c.start(n, x.Name); err != nil {
			return err
		}
	}
	if x.auto != nil {
		return c.setAutostart(n, x.Name, *x.auto)
	}
	return nil
}

// restore brings a touched network back to what Read saw.
func (c *Conn) restore(x *Change) error {
	st, err := c.Read()
	if err != nil {
		return err
	}
	now := st.Find(x.Name)
	if x.live == nil { // created: remove what exists of it
		if now == nil {
			return nil
		}
		if !now.Owned {
			return fmt.Errorf("libvirt network %s: not restored: it no longer carries hostnet's mark", x.Name)
		}
		n, err := c.lookup(x.Name)
		if err != nil {
			return err
		}
		defer n.Free()
		if now.Active {
			if err := c.stop(n, x.Name); err != nil {
				return err
			}
		}
		if now.Persistent {
			return c.undefine(n, x.Name)
		}
		return nil
	}
	old := x.live
	var n *libvirt.Network
	if old.Persistent && (now == nil || now.XML != old.XML) {
		if n, err = c.define(x.Name, old.XML); err != nil {
			return err
		}
	} else if now != nil {
		if n, err = c.lookup(x.Name); err != nil {
			return err
		}
	} else {
		return fmt.Errorf("libvirt network %s: gone and cannot be restored (it was transient)", x.Name)
	}
	defer n.Free()
	if now == nil {
		now = &Live{}
	}
	if old.Persistent && now.Autostart != old.Autostart {
		if err := c.setAutostart(n, x.Name, old.Autostart); err != nil {
			return err
		}
	}
	// A running network that was restarted or updated in place comes back with the old
	// config by a restart; one that was stopped is started again.
	touchedLive := x.RestartNeeded || len(x.pgOps) > 0 || x.Action == Delete
	switch {
	case old.Active && now.Active && touchedLive:
		if err := c.stop(n, x.Name); err != nil {
			return err
		}
		return c.start(n, x.Name)
	case old.Active && !now.Active:
		return c.start(n, x.Name)
	case !old.Active && now.Active:
		return c.stop(n, x.Name)
	}
	return nil
}

// LiveBridges reads the host's bridges with one netlink link dump, as a bridgeExists
// callback for Apply. Callers that already hold a link dump (the engine) pass their own.
func LiveBridges() (func(name string) bool, error) {
	links, err := netlink.LinkList()
	if err != nil {
		return nil, fmt.Errorf("list links: %w", err)
	}
	set := map[string]bool{}
	for _, l := range links {
		if l.Type() == "bridge" {
			set[l.Attrs().Name] = true
		}
	}
	return func(name string) bool { return set[name] }, nil
}

// BridgeSet is a bridgeExists callback over a fixed set of names.
func BridgeSet(names ...string) func(string) bool {
	set := map[string]bool{}
	for _, n := range names {
		set[n] = true
	}
	return func(name string) bool { return set[name] }
}
