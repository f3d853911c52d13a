package safe

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/vishvananda/netns"
)

// ProbeFailures is how many probe rounds in a row a probe that passed before the apply
// must fail after it for the watchdog to restore at once, without waiting for the deadline.
const ProbeFailures = 3

// ProbeInterval is the time between probe rounds.
const ProbeInterval = time.Second

// Pending is a dead-man confirmation: the snapshot in the state directory is restored at
// Deadline unless `hostnet confirm` runs (or every probe passes) before.
type Pending struct {
	ID       string    `json:"id"`
	PID      int       `json:"pid"` // of the watchdog process (0 until it started)
	Command  string    `json:"command"`
	Applied  time.Time `json:"applied"`
	Deadline time.Time `json:"deadline"`
	Probes   []string  `json:"probes,omitempty"`   // normalized specs (see ParseProbe)
	Baseline []bool    `json:"baseline,omitempty"` // whether each probe passed before the apply
	// Ready is set once the apply it guards has finished its changes: the record and the
	// watchdog exist from before the first change, but probes only count afterwards.
	Ready bool `json:"ready,omitempty"`
}

// NewPending starts a pending confirmation that expires after d.
func NewPending(command string, d time.Duration, probes []string, baseline []bool) *Pending {
	var b [8]byte
	rand.Read(b[:])
	now := time.Now()
	return &Pending{ID: hex.EncodeToString(b[:]), Command: command, Applied: now, Deadline: now.Add(d),
		Probes: probes, Baseline: baseline}
}

// Describe says, for people, what is pending and when it expires.
func (p *Pending) Describe() string {
	left := time.Until(p.Deadline).Round(time.Second)
	when := fmt.Sprintf("in %s", left)
	if left <= 0 {
		when = "now"
	}
	s := fmt.Sprintf("a confirmation is pending for %q (applied %s): the previous state is restored at %s (%s) unless `hostnet confirm` runs",
		p.Command, p.Applied.Local().Format("15:04:05"), p.Deadline.Local().Format("15:04:05"), when)
	if len(p.Probes) > 0 {
		s += fmt.Sprintf(" or the probes pass (%v)", p.Probes)
	}
	if p.PID != 0 {
		if !Alive(p.PID) {
			s += fmt.Sprintf("; WARNING: its watchdog (pid %d) is gone, run `hostnet confirm` or `hostnet rollback`", p.PID)
		} else {
			s += fmt.Sprintf("; watchdog pid %d", p.PID)
		}
	}
	return s
}

// Alive reports whether process pid runs (a zombie, dead but not yet reaped, does not).
func Alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return syscall.Kill(pid, 0) == nil
	}
	// pid (comm) STATE ...: comm may hold spaces and parentheses, the state follows the last ')'.
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
}

// Save writes the pending record atomically (0600).
func (p *Pending) Save(dir string) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, PendingFile), b)
}

// LoadPending reads the pending confirmation; os.ErrNotExist when there is none.
func LoadPending(dir string) (*Pending, error) {
	b, err := readState(filepath.Join(dir, PendingFile))
	if err != nil {
		return nil, err
	}
	var p Pending
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, PendingFile), err)
	}
	return &p, nil
}

// PendingStatus is what `hostnet status` prints about the state directory: a pending
// confirmation, or the snapshot an interrupted run left (the host may be half-changed), or
// a state file hostnet refuses; "" when there is nothing to say.
func PendingStatus(dir string) string {
	dir = StateDir(dir)
	p, err := LoadPending(dir)
	if err == nil {
		return "Confirmation pending: " + p.Describe() + "."
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "State directory: " + err.Error() + "."
	}
	path := filepath.Join(dir, SnapshotFile)
	snap, err := LoadSnapshot(path)
	if errors.Is(err, os.ErrNotExist) {
		return ""
	}
	if err != nil {
		return "State directory: " + err.Error() + "."
	}
	state := "it has exited: the host may be half-changed; run `hostnet rollback` to restore the state from before it, or apply again"
	if Alive(snap.PID) {
		state = "it is still running"
	}
	return fmt.Sprintf("Interrupted or running change: %q (pid %d) took a snapshot at %s and %s.",
		snap.Command, snap.PID, snap.Taken.Local().Format("2006-01-02 15:04:05"), state)
}

// Confirm keeps the applied state: it removes the pending record and the snapshot; the
// watchdog sees the record gone and exits without restoring. The caller holds the lock.
func Confirm(dir string) (*Pending, error) {
	p, err := LoadPending(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("nothing to confirm: no confirmation is pending in %s", dir)
	}
	if err != nil {
		return nil, err
	}
	if err := os.Remove(filepath.Join(dir, PendingFile)); err != nil {
		return nil, err
	}
	os.Remove(filepath.Join(dir, SnapshotFile))
	return p, nil
}

// StartWatchdog starts the dead-man process: the running executable again, with args (the
// CLI's hidden watchdog command), in a session of its own (setsid: no controlling
// terminal, so the hangup of the SSH session that started it does not reach it), with
// stdin on /dev/null and stdout/stderr appended to the state directory's watchdog.log. It
// is not waited for: it outlives this process. It records its pid in p.
func StartWatchdog(dir string, p *Pending, args []string) error {
	// /proc/self/exe, not os.Executable(): the path may not resolve in this process's mount
	// namespace (hostnet --netns gives the process one of its own; in a chroot the kernel
	// reports the path outside it), while /proc/self/exe always runs this very binary.
	exe := "/proc/self/exe"
	logf, err := openState(filepath.Join(dir, WatchdogLog), os.O_WRONLY|os.O_CREATE|os.O_APPEND)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(exe, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, logf, logf // nil stdin: /dev/null
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the watchdog: %w", err)
	}
	p.PID = cmd.Process.Pid
	cmd.Process.Release()
	return p.Save(dir)
}

// OnConfirm, when set, runs after the watchdog confirmed because every probe passed, with
// the lock held (the CLI keeps the confirmed plan for boot, as `hostnet confirm` does).
var OnConfirm func(dir, id string) error

// LockWaitLog is how often a watchdog waiting for the lock says so in its log.
const LockWaitLog = time.Minute

// acquireForever takes the lock to restore, however long another run holds it (an apply
// waiting at its prompt, a slow destroy): a watchdog never gives up. It returns a nil lock
// when the confirmation ended meanwhile (confirm or rollback by hand), and an error only for
// a lock that cannot be taken at all (the state directory became untrusted, ctx ended).
func acquireForever(ctx context.Context, dir, id string, logf func(string, ...any)) (*Lock, error) {
	for {
		lctx, cancel := context.WithTimeout(ctx, LockWaitLog)
		l, err := AcquireWait(lctx, dir, "watchdog restore")
		cancel()
		if err == nil {
			return l, nil
		}
		var le *LockedError
		if !errors.As(err, &le) || ctx.Err() != nil {
			logf("cannot take the lock to restore: %v", err)
			return nil, err
		}
		if cur, perr := LoadPending(dir); perr != nil || cur.ID != id {
			logf("confirmed (or rolled back) while waiting for the lock: exiting")
			return nil, nil
		}
		logf("still waiting for the lock to restore: %v", err)
	}
}

// Watch is the watchdog's body: until p's deadline it checks every 200 ms whether the
// confirmation is still pending (confirm and rollback remove it: Watch returns) and runs
// the probes every ProbeInterval: when all pass, it confirms; when one that passed before
// the apply fails ProbeFailures rounds in a row, it restores at once. At the deadline it
// takes the lock and restores the snapshot. Progress goes to log.
func Watch(ctx context.Context, ns netns.NsHandle, dir, id string, log io.Writer) error {
	logf := func(format string, a ...any) {
		fmt.Fprintf(log, "%s watchdog[%d]: %s\n", time.Now().Format("2006-01-02T15:04:05.000"), os.Getpid(), fmt.Sprintf(format, a...))
	}
	p, err := LoadPending(dir)
	if err != nil || p.ID != id {
		logf("no pending confirmation %s: nothing to do", id)
		return nil
	}
	var probes []Probe
	for _, spec := range p.Probes {
		pr, err := ParseProbe(spec)
		if err != nil {
			return err
		}
		probes = append(probes, pr)
	}
	logf("restoring %q at %s unless confirmed", p.Command, p.Deadline.Format("15:04:05.000"))
	fails := make([]int, len(probes))
	nextProbe := time.Now()
	reason := "the deadline passed"
loop:
	for time.Now().Before(p.Deadline) {
		cur, err := LoadPending(dir)
		if err != nil || cur.ID != id {
			logf("confirmed (or rolled back) by hand: exiting")
			return nil
		}
		if len(probes) > 0 && cur.Ready && !time.Now().Before(nextProbe) {
			nextProbe = time.Now().Add(ProbeInterval)
			errs := RunProbes(ctx, probes)
			ok := true
			for i, err := range errs {
				if err == nil {
					fails[i] = 0
					continue
				}
				ok = false
				fails[i]++
				if i < len(p.Baseline) && p.Baseline[i] && fails[i] >= ProbeFailures {
					reason = fmt.Sprintf("probe %s passed before the apply and failed %d times after it: %v", probes[i], fails[i], err)
					break loop
				}
			}
			if ok {
				l, err := AcquireWait(ctx, dir, "watchdog confirm (probes passed)")
				if err != nil {
					return err
				}
				if cur, err := LoadPending(dir); err == nil && cur.ID == id {
					Confirm(dir)
					logf("every probe passed: confirmed")
					if OnConfirm != nil {
						if err := OnConfirm(dir, id); err != nil {
							logf("after the confirmation: %v", err)
						}
					}
				}
				l.Release()
				return nil
			}
		}
		time.Sleep(min(200*time.Millisecond, max(time.Until(p.Deadline), time.Millisecond)))
	}
	t0 := time.Now()
	l, err := acquireForever(ctx, dir, id, logf)
	if l == nil {
		return err
	}
	defer l.Release()
	if cur, err := LoadPending(dir); err != nil || cur.ID != id {
		logf("confirmed just in time: exiting")
		return nil
	}
	logf("restoring: %s", reason)
	_, rep, err := Rollback(ctx, ns, dir, TriggerWatchdog, reason)
	if err != nil {
		logf("restore failed after %s: %v", time.Since(t0).Round(time.Millisecond), err)
		return err
	}
	late := time.Since(p.Deadline).Round(time.Millisecond)
	when := fmt.Sprintf("%s after the deadline", late)
	if late < 0 {
		when = fmt.Sprintf("%s before the deadline", -late)
	}
	logf("restored in %s (%s; %s)", time.Since(t0).Round(100*time.Microsecond), rep, when)
	return nil
}

// MarkReady records that the apply the confirmation id guards has finished its changes:
// from now on the watchdog's probes count.
func MarkReady(dir, id string) error {
	p, err := LoadPending(dir)
	if err != nil {
		return err
	}
	if p.ID != id {
		return fmt.Errorf("the pending confirmation changed under this apply (%s, not %s)", p.ID, id)
	}
	p.Ready = true
	return p.Save(dir)
}
