package safe

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/vishvananda/netns"

	"github.com/hostnet/hostnet/hostnet/engine"
	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/plan"
)

// ApplyError is an apply that failed, with what the restore did.
type ApplyError struct {
	Err        error          // the apply's error (*engine.StepError, *engine.NotConvergedError, ...)
	Restore    *RestoreReport // nil when no restore ran
	RestoreErr error          // nil when the restore was complete
	Snapshot   string         // path of the snapshot, kept when the restore failed
}

func (e *ApplyError) Error() string {
	if e.RestoreErr != nil {
		return fmt.Sprintf("%v\nRESTORE FAILED: %v\nThe snapshot is kept in %s: fix the cause, then run `hostnet rollback`.",
			e.Err, e.RestoreErr, e.Snapshot)
	}
	return fmt.Sprintf("%v\nThe state from before the apply was restored (%s).", e.Err, e.Restore)
}

func (e *ApplyError) Unwrap() error { return e.Err }

// PendingError says a confirmation is pending: nothing else may change the host until it
// is confirmed or rolled back.
type PendingError struct{ Pending *Pending }

func (e *PendingError) Error() string {
	return fmt.Sprintf("%s; run `hostnet confirm` to keep it or `hostnet rollback` to restore the previous state first",
		e.Pending.Describe())
}

// Prepare takes the snapshot for applying p (nil for a plan-less run) to state s, the
// caller holding the lock. A snapshot left on disk by an apply that died (kill -9, power
// cut in the middle) is kept as the restore point, because it, not the half-applied state,
// is the state from before; the links the new plan touches besides are added to it. It
// fails with a *PendingError while a dead-man confirmation is pending.
func Prepare(dir string, s *live.State, p *plan.Plan, command string) (snap *Snapshot, note string, err error) {
	if pd, err := LoadPending(dir); err == nil {
		return nil, "", &PendingError{Pending: pd}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, "", err
	}
	fresh := Take(s, p, command)
	old, err := LoadSnapshot(filepath.Join(dir, SnapshotFile))
	if errors.Is(err, os.ErrNotExist) {
		return fresh, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("%w (remove it if it is damaged; it is the state before an interrupted apply)", err)
	}
	old.merge(fresh)
	return old, fmt.Sprintf("An earlier run (pid %d, %q, %s) did not finish; its snapshot stays the restore point.",
		old.PID, old.Command, old.Taken.Local().Format("2006-01-02 15:04:05")), nil
}

// merge adds to snap the links of newer that snap does not know (the older apply did not
// touch them, so their state now is their state before it).
func (snap *Snapshot) merge(newer *Snapshot) {
	known := map[string]bool{}
	for _, n := range snap.Names() {
		known[n] = true
	}
	for _, n := range snap.MayCreate {
		known[n] = true
	}
	added := map[string]bool{}
	for _, l := range newer.Links {
		if !known[l.Name] {
			snap.Links = append(snap.Links, l)
			added[l.Name] = true
		}
	}
	for _, r := range newer.Routes {
		if added[r.Dev] {
			snap.Routes = append(snap.Routes, r)
		}
	}
	for _, n := range newer.MayCreate {
		if !known[n] {
			snap.MayCreate = append(snap.MayCreate, n)
		}
	}
	for _, line := range newer.Normalized {
		if lineAbout(line, added) && !slices.Contains(snap.Normalized, line) {
			snap.Normalized = append(snap.Normalized, line)
		}
	}
}

// Apply writes snap to the state directory, calls guard (nil: none) and runs ch, and on
// any error restores snap and returns an *ApplyError with both results. guard runs after
// the snapshot is on disk and before the first change: the CLI records the dead-man
// confirmation and starts its watchdog there, so that nothing can interrupt the apply in a
// way that leaves a change unguarded; when guard fails, nothing is changed. A restore that
// succeeds also ends the pending confirmation (the watchdog then exits). On success the
// snapshot file is removed, unless keep (a dead-man timer is to take it over). The caller
// holds the lock.
func Apply(ctx context.Context, ns netns.NsHandle, dir string, snap *Snapshot, ch *engine.Changes, keep bool, guard func() error) (*engine.Report, error) {
	path := filepath.Join(dir, SnapshotFile)
	if err := ensureDir(dir); err != nil {
		return nil, err
	}
	if err := snap.Save(path); err != nil {
		return nil, fmt.Errorf("writing the snapshot before any change: %w; nothing was changed", err)
	}
	if guard != nil {
		if err := guard(); err != nil {
			os.Remove(filepath.Join(dir, PendingFile))
			os.Remove(path)
			return nil, fmt.Errorf("%w; nothing was changed", err)
		}
	}
	rep, err := engine.Apply(ctx, ns, ch)
	if err != nil {
		rr, rerr := Restore(context.WithoutCancel(ctx), ns, snap)
		if rerr == nil {
			os.Remove(filepath.Join(dir, PendingFile))
			os.Remove(path)
		}
		// Not fatal: the apply's error says what happened; status only misses the record.
		_ = recordRestore(dir, newRestoreRecord(TriggerFailure, err.Error(), snap, rr, rerr))
		return rep, &ApplyError{Err: err, Restore: rr, RestoreErr: rerr, Snapshot: path}
	}
	if !keep {
		os.Remove(path)
	}
	return rep, nil
}

// Rollback restores the snapshot on disk (left by an interrupted apply or awaiting
// confirmation) and removes it and any pending confirmation. It records the restore
// (RestoreFile) with trigger (TriggerRollback, TriggerWatchdog) and reason, so that status
// can tell. The caller holds the lock.
func Rollback(ctx context.Context, ns netns.NsHandle, dir, trigger, reason string) (*Snapshot, *RestoreReport, error) {
	path := filepath.Join(dir, SnapshotFile)
	snap, err := LoadSnapshot(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("nothing to roll back: no snapshot in %s (an apply removes it once it is complete and confirmed)", dir)
	}
	if err != nil {
		return nil, nil, err
	}
	rep, err := Restore(ctx, ns, snap)
	// Not fatal: a restore that worked is not undone by a record that could not be written.
	_ = recordRestore(dir, newRestoreRecord(trigger, reason, snap, rep, err))
	if err != nil {
		return snap, rep, err
	}
	os.Remove(filepath.Join(dir, PendingFile))
	os.Remove(path)
	return snap, rep, nil
}

// ClaimInterrupted marks in s (in memory only) the links that an interrupted apply may
// have created but not yet marked (the kernel takes a new link's mark in a second request,
// so a crash can come between the two): those named in the left-over snapshot's MayCreate
// that it does not hold, as Snapshot.Adopt does for a restore. Without it the next apply
// would refuse them as someone else's. No snapshot: nothing to do.
func ClaimInterrupted(dir string, s *live.State) error {
	snap, err := LoadSnapshot(filepath.Join(dir, SnapshotFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	snap.Adopt(s)
	return nil
}

// SaveSnapshot writes snap to the state directory before a change that safe.Apply does not
// run (the libvirt networks a destroy removes before the kernel part).
func SaveSnapshot(dir string, snap *Snapshot) error {
	if err := ensureDir(dir); err != nil {
		return err
	}
	return snap.Save(filepath.Join(dir, SnapshotFile))
}
