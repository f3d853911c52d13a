//go:build lab

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hostnet/hostnet/hostnet/safe"
)

// A restore is recorded in the state directory and `status` reports it, in text and in
// JSON: the dead-man watchdog's (an apply --confirm-within left unconfirmed) and then
// `hostnet rollback`'s.
func TestCLIStatusReportsRestore(t *testing.T) {
	l := newSafeLab(t)
	pre := normalized(t)
	if _, st := hostnet(t, l.dir, nil, "status"); strings.Contains(st, "Last restore") {
		t.Errorf("status reports a restore before any:\n%s", st)
	}
	if r := statusJSON(t, l.dir).LastRestore; r != nil {
		t.Errorf("status --json reports a restore before any: %+v", r)
	}

	t0 := time.Now()
	l.startDeadmanApply(t, "changed", "3s")
	l.waitGone(t, 30*time.Second)
	if d := lineDiff(pre, normalized(t)); d != "" {
		t.Fatalf("not restored:\n%s", d)
	}
	fi, err := os.Lstat(filepath.Join(l.dir, safe.RestoreFile))
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
		t.Errorf("restore record: %v, mode %v; want a regular file 0600", err, fi.Mode())
	}
	code, st := hostnet(t, l.dir, nil, "status")
	if code != 0 || !strings.Contains(st, "Last restore:") || !strings.Contains(st, "dead-man watchdog") ||
		!strings.Contains(st, "apply ") || !strings.Contains(st, "the restore was exact") {
		t.Errorf("status does not report the watchdog's restore: exit %d\n%s", code, st)
	}
	t.Logf("status after the watchdog's restore:\n%s", st)
	r := statusJSON(t, l.dir).LastRestore
	if r == nil || r.Trigger != safe.TriggerWatchdog || !r.Exact || !strings.HasPrefix(r.Command, "apply ") ||
		r.Time == nil || r.Time.Before(t0.Add(-time.Second)) || !strings.Contains(r.Reason, "deadline") {
		t.Fatalf("status --json last_restore: %+v, want the watchdog's exact restore of the apply", r)
	}

	l.startDeadmanApply(t, "changed", "60s")
	if code, out := hostnet(t, l.dir, nil, "rollback"); code != 0 {
		t.Fatalf("rollback: exit %d\n%s", code, out)
	}
	if code, st := hostnet(t, l.dir, nil, "status"); code != 0 || !strings.Contains(st, "by `hostnet rollback`") {
		t.Errorf("status does not report the rollback: exit %d\n%s", code, st)
	}
	if r := statusJSON(t, l.dir).LastRestore; r == nil || r.Trigger != safe.TriggerRollback || !r.Exact {
		t.Errorf("status --json last_restore after rollback: %+v", r)
	}
}
