package safe

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vishvananda/netns"

	"github.com/hostnet/hostnet/hostnet/engine"
	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/libvirtnet"
)

// RestoreReport says what Restore did.
type RestoreReport struct {
	Steps    int           `json:"steps"`              // engine steps of the snapshot's plan that ran
	Fixes    int           `json:"fixes"`              // FixChanges steps that ran
	Networks int           `json:"networks,omitempty"` // libvirt networks restored
	Duration time.Duration `json:"duration_ns"`
	// Residual lists what still differs from the snapshot afterwards (see Snapshot.Verify);
	// empty when the restore is complete.
	Residual []string `json:"residual,omitempty"`
}

func (r *RestoreReport) String() string {
	if r == nil {
		return "not restored"
	}
	s := fmt.Sprintf("%d kernel operations in %s", r.Steps+r.Fixes, r.Duration.Round(100*time.Microsecond))
	if r.Networks > 0 {
		s += fmt.Sprintf(", %d libvirt networks put back", r.Networks)
	}
	if len(r.Residual) > 0 {
		s += fmt.Sprintf(", %d differences left", len(r.Residual))
	}
	return s
}

// RestoreError is a restore that did not bring the snapshot's links back as they were.
type RestoreError struct {
	Report *RestoreReport
	Err    error // the first kernel error, if any
}

func (e *RestoreError) Error() string {
	var parts []string
	if e.Err != nil {
		parts = append(parts, e.Err.Error())
	}
	if e.Report != nil && len(e.Report.Residual) > 0 {
		parts = append(parts, "still differs from the snapshot:\n  "+strings.Join(e.Report.Residual, "\n  "))
	}
	return "restore incomplete: " + strings.Join(parts, "; ")
}

func (e *RestoreError) Unwrap() error { return e.Err }

// Restore brings the links of snap back to their recorded state in network namespace ns:
// the snapshot's plan (Snapshot.PlanFor the live state) diffed against the live state and applied by the
// engine, then the Fixes for what a plan cannot say, then one read-back that Verify
// compares with the snapshot. It keeps going after a kernel error, so that as much as
// possible is put back, and returns a *RestoreError when anything is left. Links it does
// not own and that are not the snapshot's (a guest's tap attached to a bridge since) are
// never touched, and a guest's tap that is gone is not missed (Snapshot.Verify).
func Restore(ctx context.Context, ns netns.NsHandle, snap *Snapshot) (*RestoreReport, error) {
	t0 := time.Now()
	rep := &RestoreReport{}
	var first error
	note := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	unowned := snap.Unowned()
	// Read as the snapshot was read (engine.Read(ns, plan)), so that arp_notify and the FDB
	// compare like with like.
	read := func() (*live.State, error) { return live.ReadWith(ns, snap.Included) }
	// Two rounds: a kernel error in the first (a link busy while the kernel tears another
	// down) usually clears on a second diff of the state it left.
	for round := 0; round < 2; round++ {
		s, err := read()
		if err != nil {
			return rep, &RestoreError{Report: rep, Err: err}
		}
		snap.Adopt(s)
		// Guest taps and veths that went away since the snapshot (a guest stopped) are
		// left out; the rest is restored.
		p, err := snap.PlanFor(s)
		if err != nil {
			return rep, &RestoreError{Report: rep, Err: err}
		}
		ch, err := engine.DiffUnowned(p, s, unowned)
		if err != nil {
			note(err)
			break
		}
		if !ch.HasChanges() {
			break
		}
		r, err := engine.Apply(ctx, ns, ch)
		if r != nil {
			rep.Steps += r.Steps
		}
		var nc *engine.NotConvergedError
		if err == nil || errors.As(err, &nc) {
			break // what the plan could not say is for the fixes
		}
		if round == 1 {
			note(err)
		}
	}
	s, err := read()
	if err != nil {
		return rep, &RestoreError{Report: rep, Err: err}
	}
	// Routes and bridge timers are computed on the same state: the link fixes (master,
	// MTU, MAC, alias, up/down) neither add routes nor change timers, and a route the
	// snapshot had was on a link that was up.
	fixes, routes, timers := snap.Fixes(s), snap.RouteFixes(s), snap.BridgeFixes(s)
	if len(fixes) > 0 {
		r, err := engine.Apply(ctx, ns, engine.FixChanges(s, fixes))
		if r != nil {
			rep.Fixes += r.Steps
		}
		note(err)
	}
	if len(routes) > 0 || len(timers) > 0 {
		r, err := engine.Apply(ctx, ns, engine.RestoreFixChanges(s, routes, timers))
		if r != nil {
			rep.Fixes += r.Steps
		}
		note(err)
	}
	if len(fixes) > 0 || len(routes) > 0 || len(timers) > 0 {
		if s, err = read(); err != nil {
			return rep, &RestoreError{Report: rep, Err: err}
		}
	}
	rep.Residual = snap.Verify(s)
	if lv := snap.Libvirt; lv != nil && len(lv.Networks) > 0 {
		// After the kernel: the networks' bridges are back (or gone) by now.
		if err := restoreNetworks(lv, s.IsBridge); err != nil {
			rep.Residual = append(rep.Residual, "libvirt: "+err.Error())
		} else {
			rep.Networks = len(lv.Networks)
		}
	}
	rep.Duration = time.Since(t0)
	if first != nil || len(rep.Residual) > 0 {
		return rep, &RestoreError{Report: rep, Err: first}
	}
	return rep, nil
}

// restoreNetworks puts the snapshot's libvirt networks back over a connection of its own.
func restoreNetworks(lv *LibvirtPart, bridgeExists func(string) bool) error {
	c, err := libvirtnet.Connect(lv.URI)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.RestoreSaved(lv.Networks, bridgeExists)
}
