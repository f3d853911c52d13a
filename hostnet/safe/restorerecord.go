package safe

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"time"
)

// RestoreFile records the last restore (RestoreRecord) so that `hostnet status` can say
// that one happened: the watchdog restores in the background, long after the apply that
// armed it returned, and nobody may read its log.
const RestoreFile = "last-restore.json"

// What triggered a restore (RestoreRecord.Trigger).
const (
	TriggerFailure  = "apply-failed" // an apply (or destroy) failed and restored at once
	TriggerWatchdog = "watchdog"     // a --confirm-within apply was not confirmed in time, or a probe failed
	TriggerRollback = "rollback"     // hostnet rollback
)

// maxResidualRecorded bounds the differences kept in the record; the rest are counted.
const maxResidualRecorded = 20

// RestoreRecord is the last restore: when, what triggered it, the command whose changes it
// undid and whether the live state equals the snapshot afterwards.
type RestoreRecord struct {
	Time    time.Time `json:"time"`
	Trigger string    `json:"trigger"`          // TriggerFailure, TriggerWatchdog or TriggerRollback
	Reason  string    `json:"reason,omitempty"` // why, in words (the watchdog's deadline or probe)
	Command string    `json:"command"`          // of the snapshot: the run that was undone
	Exact   bool      `json:"exact"`
	// Residual is what still differed (at most maxResidualRecorded lines, then a count).
	Residual []string `json:"residual,omitempty"`
	Error    string   `json:"error,omitempty"` // the restore's first error, if any
}

// newRestoreRecord describes a restore of snap that returned rep and err.
func newRestoreRecord(trigger, reason string, snap *Snapshot, rep *RestoreReport, err error) *RestoreRecord {
	r := &RestoreRecord{Time: time.Now().UTC(), Trigger: trigger, Reason: reason, Exact: err == nil}
	if snap != nil {
		r.Command = snap.Command
	}
	if rep != nil {
		r.Residual = rep.Residual
		if n := len(r.Residual); n > maxResidualRecorded {
			r.Residual = append(r.Residual[:maxResidualRecorded:maxResidualRecorded], fmt.Sprintf("... and %d more", n-maxResidualRecorded))
		}
	}
	var re *RestoreError
	switch {
	case errors.As(err, &re) && re.Err != nil:
		r.Error = re.Err.Error() // the residual lines are above
	case err != nil && !errors.As(err, &re):
		r.Error = err.Error()
	}
	return r
}

// recordRestore writes r to the state directory (atomically, 0600). A failure to write it
// does not undo the restore, so it is returned for the caller to mention, not to fail on.
func recordRestore(dir string, r *RestoreRecord) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := writeAtomic(filepath.Join(dir, RestoreFile), b); err != nil {
		return fmt.Errorf("recording the restore: %w", err)
	}
	return nil
}

// LoadRestoreRecord reads the last restore; os.ErrNotExist when none was recorded, an
// *UntrustedError when the file is not one hostnet wrote.
func LoadRestoreRecord(dir string) (*RestoreRecord, error) {
	path := filepath.Join(dir, RestoreFile)
	b, err := readState(path)
	if err != nil {
		return nil, err
	}
	var r RestoreRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}

// Describe says, for people, what the last restore did.
func (r *RestoreRecord) Describe() string {
	by := map[string]string{
		TriggerFailure:  "the apply failed",
		TriggerWatchdog: "the dead-man watchdog (apply not confirmed)",
		TriggerRollback: "`hostnet rollback`",
	}[r.Trigger]
	if by == "" {
		by = r.Trigger
	}
	if r.Reason != "" {
		by += ": " + r.Reason
	}
	s := fmt.Sprintf("the state from before %q was restored at %s by %s", r.Command, r.Time.Local().Format("2006-01-02 15:04:05"), by)
	if r.Exact {
		return s + "; the restore was exact"
	}
	s += "; the restore was NOT exact"
	if r.Error != "" {
		s += ": " + r.Error
	}
	return s
}
