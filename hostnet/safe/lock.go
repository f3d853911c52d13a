package safe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// EnvStateDir overrides DefaultStateDir (the CLI's --state-dir flag wins over both).
const EnvStateDir = "HOSTNET_STATE_DIR"

// DefaultStateDir holds the lock, the snapshot of an apply in progress or awaiting
// confirmation, and the dead-man timer's state. It is on tmpfs on purpose: after a reboot
// the network comes from the boot configuration, and an old snapshot must not be restored
// over it.
const DefaultStateDir = "/run/hostnet"

// Files in the state directory.
const (
	LockFile     = "lock"
	SnapshotFile = "snapshot.json"
	PendingFile  = "pending.json"
	WatchdogLog  = "watchdog.log"
)

// StateDir returns dir, else $HOSTNET_STATE_DIR, else DefaultStateDir.
func StateDir(dir string) string {
	if dir != "" {
		return dir
	}
	if d := os.Getenv(EnvStateDir); d != "" {
		return d
	}
	return DefaultStateDir
}

// Holder says who holds the lock.
type Holder struct {
	PID     int       `json:"pid"`
	Command string    `json:"command"`
	Started time.Time `json:"started"`
}

func (h Holder) String() string {
	return fmt.Sprintf("pid %d (%q), started %s", h.PID, h.Command, h.Started.Local().Format(time.RFC3339))
}

// LockedError is returned when another run holds the lock.
type LockedError struct {
	Path   string
	Holder Holder // zero when the holder's record could not be read
}

func (e *LockedError) Error() string {
	who := "another hostnet run"
	if e.Holder.PID != 0 {
		who = "hostnet " + e.Holder.String()
	}
	return fmt.Sprintf("%s holds the lock %s: only one apply, destroy or rollback runs at a time on a host", who, e.Path)
}

// Lock is an flock(2) on the state directory's lock file: the kernel drops it when the
// holder exits, however it dies, so a kill -9 never leaves a stale lock.
type Lock struct {
	f *os.File
}

// Acquire takes the lock or fails at once with a *LockedError naming the holder. command
// is recorded for the next one to see ("apply plan.hcl").
func Acquire(dir, command string) (*Lock, error) {
	if err := ensureDir(dir); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, LockFile)
	f, err := openState(path, os.O_RDWR|os.O_CREATE)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &LockedError{Path: path, Holder: readHolder(path)}
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	b, _ := json.Marshal(Holder{PID: os.Getpid(), Command: command, Started: time.Now()})
	if err := f.Truncate(0); err == nil {
		f.WriteAt(append(b, '\n'), 0)
		f.Sync()
	}
	return &Lock{f: f}, nil
}

// AcquireWait retries Acquire until it succeeds or ctx ends.
func AcquireWait(ctx context.Context, dir, command string) (*Lock, error) {
	for {
		l, err := Acquire(dir, command)
		var le *LockedError
		if !errors.As(err, &le) {
			return l, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// readHolder reads the holder's record; the holder writes it just after taking the lock,
// so an empty file, or the stale record of an earlier holder that has exited, is retried
// briefly. It returns the zero Holder rather than name a process that is gone.
func readHolder(path string) Holder {
	for try := 0; try < 20; try++ {
		var h Holder
		b, err := readState(path)
		if err == nil && json.Unmarshal(b, &h) == nil && h.PID != 0 && Alive(h.PID) {
			return h
		}
		time.Sleep(10 * time.Millisecond)
	}
	return Holder{}
}

// Release drops the lock. The holder record stays in the file; it is stale, and the flock
// alone says whether anyone holds the lock.
func (l *Lock) Release() {
	if l == nil || l.f == nil {
		return
	}
	syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
	l.f = nil
}
