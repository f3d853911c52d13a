package safe

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hostnet/hostnet/hostnet/live"
)

// A hostile state directory (another user could write it, or plant files or symlinks in
// it) is refused before anything is read from it or written through it: the audit's planted
// lock symlink made root overwrite a 0600 file, and a planted snapshot was applied by root.
// These run on the real file system as root (the files are chowned to nobody).
func TestStateDirRefusesWhatHostnetDidNotWrite(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("needs root (chown to another user): run the tests as root, as scripts/test does")
	}
	const nobody = 65534
	snap := &Snapshot{Version: SnapshotVersion, Command: "apply planted.hcl"}
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) // makes dir hostile
		check func(dir string) error         // the operation that must refuse
	}{
		{"directory writable by others", func(t *testing.T, dir string) { must(t, os.Chmod(dir, 0o777)) },
			func(dir string) error { _, err := Acquire(dir, "apply"); return err }},
		{"directory owned by another user", func(t *testing.T, dir string) { must(t, os.Chown(dir, nobody, nobody)) },
			func(dir string) error { _, err := Acquire(dir, "apply"); return err }},
		{"directory is a symlink", func(t *testing.T, dir string) {
			real := dir + ".real"
			must(t, os.Rename(dir, real))
			must(t, os.Symlink(real, dir))
		}, func(dir string) error { _, err := Acquire(dir, "apply"); return err }},
		{"lock is a symlink to a root file", func(t *testing.T, dir string) {
			victim := filepath.Join(t.TempDir(), "shadow")
			must(t, os.WriteFile(victim, []byte("root:secret\n"), 0o600))
			must(t, os.Symlink(victim, filepath.Join(dir, LockFile)))
			t.Cleanup(func() {
				if b, _ := os.ReadFile(victim); string(b) != "root:secret\n" {
					t.Errorf("the symlink's target was written: %q", b)
				}
			})
		}, func(dir string) error { _, err := Acquire(dir, "apply"); return err }},
		{"snapshot planted by another user", func(t *testing.T, dir string) {
			must(t, snap.Save(filepath.Join(dir, SnapshotFile)))
			must(t, os.Chown(filepath.Join(dir, SnapshotFile), nobody, nobody))
		}, func(dir string) error { _, err := LoadSnapshot(filepath.Join(dir, SnapshotFile)); return err }},
		{"snapshot readable by others", func(t *testing.T, dir string) {
			must(t, snap.Save(filepath.Join(dir, SnapshotFile)))
			must(t, os.Chmod(filepath.Join(dir, SnapshotFile), 0o644))
		}, func(dir string) error { _, err := LoadSnapshot(filepath.Join(dir, SnapshotFile)); return err }},
		{"pending record with exec probes planted by another user", func(t *testing.T, dir string) {
			p := NewPending("apply", 0, []string{"exec:/tmp/evil"}, []bool{true})
			must(t, p.Save(dir))
			must(t, os.Chown(filepath.Join(dir, PendingFile), nobody, nobody))
		}, func(dir string) error { _, err := LoadPending(dir); return err }},
		{"pending record is a symlink", func(t *testing.T, dir string) {
			other := filepath.Join(t.TempDir(), "p.json")
			must(t, NewPending("apply", 0, nil, nil).Save(filepath.Dir(other)))
			must(t, os.Symlink(filepath.Join(filepath.Dir(other), PendingFile), filepath.Join(dir, PendingFile)))
		}, func(dir string) error { _, err := LoadPending(dir); return err }},
		{"restore record is a symlink", func(t *testing.T, dir string) {
			other := t.TempDir()
			must(t, recordRestore(other, &RestoreRecord{Trigger: TriggerRollback, Command: "apply forged.hcl", Exact: true}))
			must(t, os.Symlink(filepath.Join(other, RestoreFile), filepath.Join(dir, RestoreFile)))
		}, func(dir string) error { _, err := LoadRestoreRecord(dir); return err }},
		{"restore record planted by another user", func(t *testing.T, dir string) {
			must(t, recordRestore(dir, &RestoreRecord{Trigger: TriggerRollback, Command: "apply forged.hcl", Exact: true}))
			must(t, os.Chown(filepath.Join(dir, RestoreFile), nobody, nobody))
		}, func(dir string) error { _, err := LoadRestoreRecord(dir); return err }},
		{"ownership key planted by another user", func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, MarkKeyFile), []byte("0123456789abcdef0123456789abcdef"), 0o600))
			must(t, os.Chown(filepath.Join(dir, MarkKeyFile), nobody, nobody))
		}, func(dir string) error { return UseMarkKey(dir) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "state")
			must(t, os.Mkdir(dir, 0o700))
			tt.setup(t, dir)
			err := tt.check(dir)
			var ue *UntrustedError
			if !errors.As(err, &ue) {
				t.Fatalf("not refused as untrusted: %v", err)
			}
			t.Log(err)
		})
	}
}

// A trusted directory works, and the key it holds stays the same across loads.
func TestStateDirKeyPersists(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	must(t, UseMarkKey(dir))
	m := live.MarkFor("bond.bond0")
	live.SetMarkKey([]byte("another process's key"))
	if _, ok := live.ParseMark(m); ok {
		t.Fatal("mark verifies under another key")
	}
	must(t, UseMarkKey(dir))
	if a, ok := live.ParseMark(m); !ok || a != "bond.bond0" {
		t.Fatalf("mark written with the state dir's key does not verify after reloading it: %q %v", a, ok)
	}
	l, err := Acquire(dir, "apply")
	must(t, err)
	l.Release()
	fi, err := os.Stat(filepath.Join(dir, MarkKeyFile))
	must(t, err)
	if fi.Mode().Perm() != 0o600 || !strings.HasSuffix(fi.Name(), MarkKeyFile) {
		t.Errorf("key file mode %o", fi.Mode().Perm())
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// status names what the state directory holds: a leftover snapshot of a run that died, a
// pending confirmation, or a file hostnet refuses.
func TestPendingStatusLines(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	must(t, ensureDir(dir))
	if s := PendingStatus(dir); s != "" {
		t.Errorf("empty dir: %q", s)
	}
	dead := &Snapshot{Version: SnapshotVersion, Command: "apply plan.hcl", PID: 1 << 22} // beyond pid_max's default
	must(t, dead.Save(filepath.Join(dir, SnapshotFile)))
	if s := PendingStatus(dir); !strings.Contains(s, "hostnet rollback") || !strings.Contains(s, "apply plan.hcl") {
		t.Errorf("leftover snapshot: %q", s)
	}
	must(t, NewPending("apply plan.hcl", 0, nil, nil).Save(dir))
	if s := PendingStatus(dir); !strings.HasPrefix(s, "Confirmation pending") {
		t.Errorf("pending: %q", s)
	}
	must(t, os.Chmod(filepath.Join(dir, PendingFile), 0o644))
	if s := PendingStatus(dir); !strings.Contains(s, "refusing") {
		t.Errorf("untrusted pending: %q", s)
	}
}

// The loser of the lock names the holder only when that process is alive: the record in
// the lock file may still be that of an earlier holder that has exited (finding 10).
func TestLockedErrorNeverNamesAnExitedProcess(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	first, err := Acquire(dir, "apply a.hcl")
	must(t, err)
	defer first.Release()
	_, err = Acquire(dir, "apply b.hcl") // another open file description: flock conflicts
	var le *LockedError
	if !errors.As(err, &le) || le.Holder.PID != os.Getpid() {
		t.Fatalf("live holder not named: %v", err)
	}
	// The holder's record now says an exited process (as when a new holder has taken the
	// lock but not yet written its record).
	stale := []byte(`{"pid":4194304,"command":"apply old.hcl","started":"2026-01-01T00:00:00Z"}` + "\n")
	must(t, os.WriteFile(filepath.Join(dir, LockFile), stale, 0o600))
	_, err = Acquire(dir, "apply b.hcl")
	if !errors.As(err, &le) || le.Holder.PID != 0 || strings.Contains(err.Error(), "4194304") {
		t.Fatalf("an exited process is named as the holder: %v", err)
	}
}
