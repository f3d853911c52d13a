package libvirtnet

import (
	"errors"
	"fmt"

	"libvirt.org/go/libvirt"
)

// Saved is a network as it was before an apply or destroy changed it, kept in the safe
// apply's snapshot so that every restore (an apply's failure, the dead-man timer,
// `hostnet rollback`) puts libvirt back too. Present false: the network did not exist.
type Saved struct {
	Name       string `json:"name"`
	Present    bool   `json:"present"`
	XML        string `json:"xml,omitempty"` // persistent config, as Read read it
	Bridge     string `json:"bridge,omitempty"`
	Active     bool   `json:"active,omitempty"`
	Autostart  bool   `json:"autostart,omitempty"`
	Persistent bool   `json:"persistent,omitempty"`
}

// Saved records, before Apply runs ch, the networks it touches.
func (ch *Changes) Saved() []Saved {
	if ch == nil {
		return nil
	}
	out := make([]Saved, 0, len(ch.Changes))
	for _, x := range ch.Changes {
		s := Saved{Name: x.Name}
		if l := x.live; l != nil {
			s = Saved{Name: x.Name, Present: true, XML: l.XML, Bridge: l.Bridge, Active: l.Active, Autostart: l.Autostart,
				Persistent: l.Persistent}
		}
		out = append(out, s)
	}
	return out
}

// RestoreSaved brings the saved networks back to how they were: a network that did not
// exist and now does (with hostnet's mark) is stopped and undefined; one that existed is
// defined again from its saved config when that differs, gets its autostart back, and is
// running or stopped as it was (restarted when its config changed). A network is never
// left running on a bridge that bridgeExists says is missing: it is stopped and reported.
// It keeps going after an error and returns them all.
func (c *Conn) RestoreSaved(saved []Saved, bridgeExists func(string) bool) error {
	st, err := c.Read()
	if err != nil {
		return err
	}
	var errs []error
	for _, s := range saved {
		if err := c.restoreOne(s, st.Find(s.Name), bridgeExists); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (c *Conn) restoreOne(s Saved, now *Live, bridgeExists func(string) bool) error {
	if !s.Present {
		if now == nil {
			return nil
		}
		if !now.Owned {
			return fmt.Errorf("libvirt network %s: not removed: it exists now but does not carry hostnet's mark", s.Name)
		}
		n, err := c.lookup(s.Name)
		if err != nil {
			return err
		}
		defer n.Free()
		if now.Active {
			if err := c.stop(n, s.Name); err != nil {
				return err
			}
		}
		if now.Persistent {
			return c.undefine(n, s.Name)
		}
		return nil
	}
	var n *libvirt.Network
	var err error
	changed := now == nil || now.XML != s.XML
	switch {
	case s.Persistent && changed:
		n, err = c.define(s.Name, s.XML)
	case now != nil:
		n, err = c.lookup(s.Name)
	default:
		return fmt.Errorf("libvirt network %s: gone and cannot be restored (it was transient)", s.Name)
	}
	if err != nil {
		return err
	}
	defer n.Free()
	if now == nil {
		now = &Live{}
	}
	if s.Persistent && now.Autostart != s.Autostart {
		if err := c.setAutostart(n, s.Name, s.Autostart); err != nil {
			return err
		}
	}
	active := s.Active
	if active && (bridgeExists == nil || !bridgeExists(s.Bridge)) {
		active = false
		err = fmt.Errorf("libvirt network %s: left stopped: its bridge %s is missing after the restore", s.Name, s.Bridge)
	}
	switch {
	case active && now.Active && changed:
		if e := c.stop(n, s.Name); e != nil {
			return e
		}
		if e := c.start(n, s.Name); e != nil {
			return e
		}
	case active && !now.Active:
		if e := c.start(n, s.Name); e != nil {
			return e
		}
	case !active && now.Active:
		if e := c.stop(n, s.Name); e != nil {
			return e
		}
	}
	return err
}
