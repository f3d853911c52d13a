package install

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/vishvananda/netns"

	"github.com/hostnet/hostnet/hostnet/engine"
	"github.com/hostnet/hostnet/hostnet/journal"
	"github.com/hostnet/hostnet/hostnet/plan"
	"github.com/hostnet/hostnet/hostnet/safe"
)

// BootRecordFile, in the state directory, is what the last boot apply did. The state
// directory is on tmpfs: the record is this boot's.
const BootRecordFile = "boot.json"

// Results of a boot apply.
const (
	BootApplied       = "applied"
	BootUnchanged     = "unchanged"
	BootRestored      = "failed-restored"
	BootRestoreFailed = "failed-restore-incomplete"
	BootNotApplied    = "failed-nothing-changed"
)

// BootRecord is what one boot apply did.
type BootRecord struct {
	Time   time.Time `json:"time"`
	Plan   string    `json:"plan"`
	Result string    `json:"result"`
	Steps  int       `json:"steps,omitempty"`
	Error  string    `json:"error,omitempty"`
	// Restore says what the restore did after a failed apply.
	Restore string `json:"restore,omitempty"`
}

// Failed reports whether the boot apply did not bring the plan up.
func (r *BootRecord) Failed() bool {
	return r.Result != BootApplied && r.Result != BootUnchanged
}

// Describe is the line `hostnet status` prints.
func (r *BootRecord) Describe() string {
	when := r.Time.Local().Format("2006-01-02 15:04:05")
	switch r.Result {
	case BootApplied:
		return fmt.Sprintf("Boot apply of %s at %s: applied (%d kernel operations).", r.Plan, when, r.Steps)
	case BootUnchanged:
		return fmt.Sprintf("Boot apply of %s at %s: the host already matched the plan.", r.Plan, when)
	case BootRestored:
		return fmt.Sprintf("Boot apply of %s at %s FAILED and the state from before it was restored (%s): %s", r.Plan, when, r.Restore, r.Error)
	case BootRestoreFailed:
		return fmt.Sprintf("Boot apply of %s at %s FAILED and the restore was incomplete: %s", r.Plan, when, r.Error)
	}
	return fmt.Sprintf("Boot apply of %s at %s FAILED before any change: %s", r.Plan, when, r.Error)
}

// Save writes the record into the state directory, under its trust rules (safe.WriteStateFile).
func (r *BootRecord) Save(stateDir string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return safe.WriteStateFile(stateDir, BootRecordFile, append(b, '\n'))
}

// maxBootRecord bounds what LoadBootRecord reads.
const maxBootRecord = 64 << 10

// LoadBootRecord reads this boot's record; os.ErrNotExist when there is none. The state
// directory may be writable by others than root on a misconfigured host, so the file is
// opened without following a symlink and used only when it is a regular file owned by
// root (or by this user), not writable by group or others, and small.
func LoadBootRecord(stateDir string) (*BootRecord, error) {
	path := filepath.Join(stateDir, BootRecordFile)
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("%s is a symbolic link: not read", path)
		}
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return nil, err
	}
	switch {
	case st.Mode&syscall.S_IFMT != syscall.S_IFREG:
		return nil, fmt.Errorf("%s is not a regular file: not read", path)
	case st.Uid != 0 && int(st.Uid) != os.Geteuid():
		return nil, fmt.Errorf("%s belongs to uid %d, not root: not read", path, st.Uid)
	case st.Mode&0o022 != 0:
		return nil, fmt.Errorf("%s is writable by group or others: not read", path)
	case st.Size > maxBootRecord:
		return nil, fmt.Errorf("%s is larger than %d bytes: not read", path, maxBootRecord)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxBootRecord))
	if err != nil {
		return nil, err
	}
	var r BootRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}

// BootStatus is the line `hostnet status` prints about this boot's apply: "" when there
// was none, a warning when the record cannot be trusted.
func BootStatus(stateDir string) string {
	r, err := LoadBootRecord(safe.StateDir(stateDir))
	if errors.Is(err, os.ErrNotExist) {
		return ""
	}
	if err != nil {
		return "Boot record: " + err.Error()
	}
	return r.Describe()
}

// Boot applies p at boot (the kernel part; libvirt, started after this, autostarts the
// plan's networks on the bridges it finds): it takes the state directory's lock, reads
// the live state, applies the changes through package safe (snapshot first; any error
// restores it), logs each outcome to log with its priority, and records it in the state
// directory for `hostnet status`. The error is non-nil when the plan is not up.
func Boot(ctx context.Context, ns netns.NsHandle, stateDir, planPath string, p *plan.Plan, log *slog.Logger) (*BootRecord, error) {
	rec := &BootRecord{Time: time.Now().UTC(), Plan: planPath}
	finish := func(result string, err error) (*BootRecord, error) {
		rec.Result = result
		if err != nil {
			rec.Error = err.Error()
		}
		if serr := rec.Save(stateDir); serr != nil {
			log.Warn("cannot write the boot record", "dir", stateDir, "err", serr)
		}
		switch result {
		case BootApplied:
			log.Log(ctx, journal.LevelNotice, "boot apply: the plan is applied", "plan", planPath, "operations", rec.Steps)
		case BootUnchanged:
			log.Info("boot apply: the host already matches the plan", "plan", planPath)
		case BootRestored:
			log.Error("boot apply FAILED; the state from before it was restored", "plan", planPath, "restore", rec.Restore, "err", err)
		case BootRestoreFailed:
			log.Error("boot apply FAILED and the restore is INCOMPLETE; run `hostnet rollback` once the cause is fixed", "plan", planPath, "err", err)
		default:
			log.Error("boot apply FAILED before any change", "plan", planPath, "err", err)
		}
		return rec, err
	}
	lctx, cancel := context.WithTimeout(ctx, time.Minute)
	lock, err := safe.AcquireWait(lctx, stateDir, "boot apply "+planPath)
	cancel()
	if err != nil {
		return finish(BootNotApplied, err)
	}
	defer lock.Release()
	s, err := engine.Read(ns, p)
	if err != nil {
		return finish(BootNotApplied, err)
	}
	ch, err := engine.Diff(p, s)
	if err != nil {
		return finish(BootNotApplied, err)
	}
	if !ch.HasChanges() {
		return finish(BootUnchanged, nil)
	}
	snap, _, err := safe.Prepare(stateDir, s, p, "boot apply "+planPath)
	if err != nil {
		return finish(BootNotApplied, err)
	}
	log.Info("boot apply: applying", "plan", planPath, "operations", ch.NumSteps)
	rep, err := safe.Apply(ctx, ns, stateDir, snap, ch, false, nil)
	if rep != nil {
		rec.Steps = rep.Steps
	}
	var ae *safe.ApplyError
	if errors.As(err, &ae) {
		rec.Restore = ae.Restore.String()
		if ae.RestoreErr != nil {
			return finish(BootRestoreFailed, err)
		}
		return finish(BootRestored, ae.Err)
	}
	if err != nil {
		return finish(BootNotApplied, err)
	}
	return finish(BootApplied, nil)
}

// FailInvalid records a boot apply that could not even load its plan.
func FailInvalid(stateDir, planPath string, err error, log *slog.Logger) *BootRecord {
	rec := &BootRecord{Time: time.Now().UTC(), Plan: planPath, Result: BootNotApplied, Error: err.Error()}
	if serr := rec.Save(stateDir); serr != nil {
		log.Warn("cannot write the boot record", "dir", stateDir, "err", serr)
	}
	log.Error("boot apply FAILED before any change: the plan does not load", "plan", planPath, "err", err)
	return rec
}
