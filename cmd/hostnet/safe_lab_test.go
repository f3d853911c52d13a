//go:build lab

package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netns"

	"github.com/hostnet/hostnet/hostnet/engine"
	"github.com/hostnet/hostnet/hostnet/jsonout"
	"github.com/hostnet/hostnet/hostnet/jsonout/schematest"
	"github.com/hostnet/hostnet/hostnet/lab/topo"
	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/plan"
	"github.com/hostnet/hostnet/hostnet/safe"
)

// Environment of the test binary run as the hostnet CLI (a separate process, as the real
// binary would be): HOSTNET_TEST_CLI=1 makes it run the command line instead of the tests,
// HOSTNET_TEST_CRASH_AT=k makes it SIGKILL itself just before its k-th kernel operation
// (operations sent one by one, so exactly k-1 reached the kernel),
// HOSTNET_TEST_STEP_DELAY slows every kernel operation down, and HOSTNET_TEST_HOLD_UNTIL=FILE
// holds the apply before its first kernel operation (so inside its lock) until FILE exists.
const (
	envCLI       = "HOSTNET_TEST_CLI"
	envCrashAt   = "HOSTNET_TEST_CRASH_AT"
	envStepDelay = "HOSTNET_TEST_STEP_DELAY"
	envHoldUntil = "HOSTNET_TEST_HOLD_UNTIL"
)

func init() {
	if os.Getenv(envCLI) != "1" {
		return
	}
	if k, err := strconv.Atoi(os.Getenv(envCrashAt)); err == nil {
		engine.BatchSize = 1
		engine.FaultHook = func(i int, _ engine.Step) error {
			if i == k-1 {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
				select {}
			}
			return nil
		}
	}
	if d, err := time.ParseDuration(os.Getenv(envStepDelay)); err == nil {
		engine.BatchSize = 1
		engine.FaultHook = func(int, engine.Step) error { time.Sleep(d); return nil }
	}
	if hold := os.Getenv(envHoldUntil); hold != "" {
		engine.FaultHook = func(i int, _ engine.Step) error {
			for deadline := time.Now().Add(time.Minute); i == 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
				if _, err := os.Stat(hold); err == nil {
					break
				}
			}
			return nil
		}
	}
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// hostnetCmd is the hostnet CLI as a separate process (this test binary in CLI mode) with
// state directory dir.
func hostnetCmd(dir string, env []string, args ...string) *exec.Cmd {
	exe, _ := os.Executable()
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), envCLI+"=1", safe.EnvStateDir+"="+dir)
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

// hostnet runs the CLI as a process and returns its exit code and output.
func hostnet(t *testing.T, dir string, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := hostnetCmd(dir, env, args...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, string(out)
}

const safeMAC0, safeMAC1 = "52:54:00:00:0d:01", "52:54:00:00:0d:02"

// The host before every test here: what basePlan makes of two NICs.
const basePlan = `nic "uplink0" { mac = "52:54:00:00:0d:01" }
nic "uplink1" { mac = "52:54:00:00:0d:02" }

bond "bond0" {
  slaves = [nic.uplink0, nic.uplink1]
  mode   = "active-backup"
  miimon = 100
}

bridge "br0" {
  ports     = [bond.bond0]
  addresses = ["198.51.100.10/24"]
  gateway   = "198.51.100.1"
}

vlan "v" {
  for_each = range(10, 12)
  link     = bond.bond0
  id       = each.value
}
`

// changedPlan changes the bond's mode to 802.3ad (a replace: bond down, slaves released
// and re-enslaved), its MTU, br0's addresses, deletes the VLANs 10 and 11 and creates 20
// and 21, one with a bridge and an address.
const changedPlan = `switch { lacp = true }
nic "uplink0" { mac = "52:54:00:00:0d:01" }
nic "uplink1" { mac = "52:54:00:00:0d:02" }

bond "bond0" {
  slaves           = [nic.uplink0, nic.uplink1]
  mode             = "802.3ad"
  miimon           = 50
  lacp_rate        = "fast"
  xmit_hash_policy = "layer3+4"
  mtu              = 9000
}

bridge "br0" {
  ports     = [bond.bond0]
  addresses = ["198.51.100.10/24", "198.51.100.11/24"]
  gateway   = "198.51.100.1"
}

vlan "v" {
  for_each = range(20, 22)
  link     = bond.bond0
  id       = each.value
}

bridge "t" {
  for_each  = { "20" = vlan.v["20"] }
  name      = "br${each.key}"
  ports     = [each.value]
  addresses = ["203.0.113.17/28"]
}
`

// cutPlan moves br0's only port, bond0, to a new bridge: br0 and a guest on it lose the
// uplink (and the host its gateway).
const cutPlan = `nic "uplink0" { mac = "52:54:00:00:0d:01" }
nic "uplink1" { mac = "52:54:00:00:0d:02" }

bond "bond0" {
  slaves = [nic.uplink0, nic.uplink1]
  mode   = "active-backup"
  miimon = 100
}

bridge "br0" {
  addresses = ["198.51.100.10/24"]
  gateway   = "198.51.100.1"
}

bridge "br9" {
  ports = [bond.bond0]
}

vlan "v" {
  for_each = range(10, 12)
  link     = bond.bond0
  id       = each.value
}
`

type safeLab struct {
	tp    *topo.Topology
	dir   string // state dir
	files map[string]string
}

// newSafeLab builds two NICs on the switch, a remote at 198.51.100.1, writes the plans and
// applies basePlan.
func newSafeLab(t *testing.T) *safeLab {
	t.Helper()
	tp, err := topo.New()
	if err != nil {
		t.Fatal(err)
	}
	l := &safeLab{tp: tp, dir: filepath.Join(t.TempDir(), "state"), files: map[string]string{}}
	t.Cleanup(func() {
		os.Remove(filepath.Join(l.dir, safe.PendingFile)) // any watchdog exits
		time.Sleep(300 * time.Millisecond)
		if b, err := os.ReadFile(filepath.Join(l.dir, safe.WatchdogLog)); err == nil && len(b) > 0 {
			t.Logf("watchdog.log:\n%s", b)
		}
		if s, err := live.Read(netns.None()); err == nil {
			if ch, err := engine.Diff(&plan.Plan{}, s); err == nil {
				engine.Apply(t.Context(), netns.None(), ch)
			}
		}
		tp.Close()
	})
	for i, m := range []string{safeMAC0, safeMAC1} {
		mac, _ := net.ParseMAC(m)
		if err := tp.AddNIC(fmt.Sprintf("uplink%d", i), mac); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tp.AddRemote("gw", "198.51.100.1/24"); err != nil {
		t.Fatal(err)
	}
	d := t.TempDir()
	for name, text := range map[string]string{"base": basePlan, "changed": changedPlan, "cut": cutPlan} {
		l.files[name] = filepath.Join(d, name+".hcl")
		if err := os.WriteFile(l.files[name], []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if code, out := hostnet(t, l.dir, nil, "apply", "--auto-approve", l.files["base"]); code != 0 {
		t.Fatalf("base apply: exit %d\n%s", code, out)
	}
	return l
}

func normalized(t *testing.T) []string {
	t.Helper()
	s, err := live.Read(netns.None())
	if err != nil {
		t.Fatal(err)
	}
	return safe.Normalized(s) // see safe.NormalizeInert
}

// waitGone waits until the pending confirmation is gone (restored or confirmed).
func (l *safeLab) waitGone(t *testing.T, limit time.Duration) time.Duration {
	t.Helper()
	t0 := time.Now()
	for time.Since(t0) < limit {
		if _, err := os.Stat(filepath.Join(l.dir, safe.PendingFile)); os.IsNotExist(err) {
			return time.Since(t0)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("still pending after %s", limit)
	return 0
}

// startApply starts `hostnet apply` in a process group of its own, as an SSH session's
// shell would run it, and returns once it printed the watchdog's pid.
func (l *safeLab) startDeadmanApply(t *testing.T, plan string, within string, extra ...string) (*exec.Cmd, int, *bytes.Buffer) {
	t.Helper()
	args := append([]string{"apply", "--auto-approve", "--confirm-within", within}, extra...)
	cmd := hostnetCmd(l.dir, nil, append(args, l.files[plan])...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pr, pw, _ := os.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	var all bytes.Buffer
	sc := bufio.NewScanner(pr)
	wd := 0
	for sc.Scan() {
		line := sc.Text()
		all.WriteString(line + "\n")
		if _, rest, ok := strings.Cut(line, "the watchdog (pid "); ok {
			wd, _ = strconv.Atoi(rest[:strings.IndexByte(rest, ')')])
			break
		}
	}
	if wd == 0 {
		cmd.Wait()
		t.Fatalf("apply started no watchdog:\n%s", all.String())
	}
	go func() { // drain
		for sc.Scan() {
		}
		pr.Close()
	}()
	return cmd, wd, &all
}

func sessionOf(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	sid, _ := strconv.Atoi(f[3]) // state ppid pgrp session
	return sid
}

// Nobody confirms, and the apply's whole process group is SIGKILLed right after it started
// the watchdog (the SSH session dies): the detached watchdog restores the previous state.
func TestCLIDeadmanRestoresWhenUnconfirmed(t *testing.T) {
	l := newSafeLab(t)
	pre := normalized(t)
	// Long enough that on a loaded machine the watchdog, the kill and `hostnet status`
	// all happen before the deadline (process starts in the lab take up to seconds).
	const timer = 8 * time.Second
	cmd, wd, out := l.startDeadmanApply(t, "changed", timer.String())
	t0 := time.Now()
	if sessionOf(wd) == sessionOf(cmd.Process.Pid) || sessionOf(wd) != wd {
		t.Errorf("watchdog %d is in session %d, apply %d in %d: not detached", wd, sessionOf(wd), cmd.Process.Pid, sessionOf(cmd.Process.Pid))
	}
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	cmd.Wait()
	if !safe.Alive(wd) {
		t.Fatal("the watchdog died with the apply's process group")
	}
	if d := lineDiff(pre, normalized(t)); d == "" {
		t.Fatalf("the apply changed nothing:\n%s", out)
	}
	code, st := hostnet(t, l.dir, nil, "status")
	if code != 0 || !strings.Contains(st, "Confirmation pending") || !strings.Contains(st, "unless `hostnet confirm` runs") {
		t.Errorf("status does not show the pending confirmation: exit %d\n%s", code, st)
	}
	l.waitGone(t, timer+10*time.Second)
	took := time.Since(t0)
	if d := lineDiff(pre, normalized(t)); d != "" {
		t.Fatalf("not restored:\n%s", d)
	}
	log, _ := os.ReadFile(filepath.Join(l.dir, safe.WatchdogLog))
	t.Logf("restored %s after apply (timer %s); watchdog log:\n%s", took.Round(time.Millisecond), timer, log)
	// The restore must wait for the timer: the watchdog logs when it restored relative to
	// its deadline. (Its end is bounded by waitGone above; how soon after the deadline it
	// comes is a measurement, logged, not asserted.)
	if !bytes.Contains(log, []byte("after the deadline")) {
		t.Errorf("the watchdog did not restore at its deadline:\n%s", log)
	}
	if code, out := hostnet(t, l.dir, nil, "confirm"); code != 1 || !strings.Contains(out, "nothing to confirm") {
		t.Errorf("late confirm: exit %d\n%s", code, out)
	}
}

// confirm in time keeps the new state; the watchdog exits without restoring.
func TestCLIDeadmanConfirmKeeps(t *testing.T) {
	l := newSafeLab(t)
	// A timer long enough that a loaded machine still starts `hostnet confirm` in time.
	const timer = 8 * time.Second
	_, wd, _ := l.startDeadmanApply(t, "changed", timer.String())
	post := normalized(t)
	if p := statusJSON(t, l.dir).PendingConfirmation; p == nil || p.WatchdogPID != wd || !strings.HasPrefix(p.Command, "apply ") {
		t.Errorf("status --json: pending confirmation %+v, want the watchdog %d", p, wd)
	}
	code, out := hostnet(t, l.dir, nil, "confirm")
	if code != 0 || !strings.Contains(out, "Confirmed") {
		t.Fatalf("confirm: exit %d\n%s", code, out)
	}
	t.Log(strings.TrimSpace(out))
	for i := 0; i < 250 && safe.Alive(wd); i++ {
		time.Sleep(20 * time.Millisecond)
	}
	if safe.Alive(wd) {
		t.Error("watchdog still running 5s after confirm")
	}
	time.Sleep(timer) // past the deadline
	if d := lineDiff(post, normalized(t)); d != "" {
		t.Fatalf("confirmed state changed:\n%s", d)
	}
	if code, out := hostnet(t, l.dir, nil, "plan", "--detailed-exitcode", l.files["changed"]); code != 0 {
		t.Errorf("plan after confirm: exit %d\n%s", code, out)
	}
	if _, st := hostnet(t, l.dir, nil, "status"); strings.Contains(st, "Confirmation pending") {
		t.Error("status still shows a pending confirmation")
	}
	if p := statusJSON(t, l.dir).PendingConfirmation; p != nil {
		t.Errorf("status --json after confirm: %+v", p)
	}
}

// statusJSON runs status --json as a process (stdout only) and checks it against the schema.
func statusJSON(t *testing.T, dir string) *jsonout.Status {
	t.Helper()
	out, err := hostnetCmd(dir, nil, "status", "--json").Output()
	if err != nil {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	return schematest.Check(t, string(out)).Status
}

// Probes: one that passes confirms at once; a gateway probe that passed before the apply
// and fails after it restores long before the deadline.
func TestCLIDeadmanProbes(t *testing.T) {
	l := newSafeLab(t)
	t.Run("exec confirms", func(t *testing.T) {
		t0 := time.Now()
		l.startDeadmanApply(t, "changed", "30s", "--probe", "exec:/bin/true", "--probe", "gateway")
		l.waitGone(t, 10*time.Second)
		if code, _ := hostnet(t, l.dir, nil, "plan", "--detailed-exitcode", l.files["changed"]); code != 0 {
			t.Error("probes passed but the state was not kept")
		}
		t.Logf("confirmed by probes %s after apply (timer 30s)", time.Since(t0).Round(time.Millisecond))
		if code, out := hostnet(t, l.dir, nil, "apply", "--auto-approve", l.files["base"]); code != 0 {
			t.Fatal(out)
		}
	})
	t.Run("gateway restores early", func(t *testing.T) {
		pre := normalized(t)
		t0 := time.Now()
		l.startDeadmanApply(t, "cut", "60s", "--probe", "gateway")
		l.waitGone(t, 20*time.Second)
		took := time.Since(t0)
		if d := lineDiff(pre, normalized(t)); d != "" {
			t.Fatalf("not restored:\n%s", d)
		}
		t.Logf("gateway probe failed %d times: restored %s after apply (timer 60s)", safe.ProbeFailures, took.Round(time.Millisecond))
	})
}

// A guest on br0 pings the remote across an apply that cuts its path and is never
// confirmed: the outage lasts the timer plus the restore, no more.
func TestCLIPingGapBoundedByTimer(t *testing.T) {
	l := newSafeLab(t)
	guest, err := l.tp.AddGuest("vm1", "198.51.100.50/24", "br0")
	if err != nil {
		t.Fatal(err)
	}
	if _, recv, _ := guest.Ping("198.51.100.1", 5, 20*time.Millisecond); recv == 0 {
		t.Fatal("guest cannot reach the remote before the apply")
	}
	pre := normalized(t)
	const timer = 3 * time.Second
	res := make(chan topo.PingResult, 1)
	go func() {
		r, _ := guest.PingStats("198.51.100.1", 1100, 10*time.Millisecond) // 11 s
		res <- r
	}()
	time.Sleep(time.Second)
	t0 := time.Now()
	cmd, _, _ := l.startDeadmanApply(t, "cut", timer.String())
	cmd.Wait()
	l.waitGone(t, 10*time.Second)
	restoredAfter := time.Since(t0)
	r := <-res
	if d := lineDiff(pre, normalized(t)); d != "" {
		t.Fatalf("not restored:\n%s", d)
	}
	log, _ := os.ReadFile(filepath.Join(l.dir, safe.WatchdogLog))
	t.Logf("ping guest->remote every 10ms: %d/%d replies, longest gap %s; timer %s, restore done %s after apply started\n%s",
		r.Received, r.Sent, r.MaxGap.Round(time.Millisecond), timer, restoredAfter.Round(time.Millisecond), log)
	// The outage must come from the apply (at least the timer, less a little for the apply
	// itself) and end with the watchdog's restore. The restore takes ~0.3 s; the upper
	// margin is wide (4 s) so that a loaded machine cannot fail the test, while an outage
	// that the timer did not end would still run past it (the ping runs 11 s).
	const margin = 4 * time.Second
	if r.MaxGap < timer-500*time.Millisecond || r.MaxGap > timer+margin {
		t.Errorf("gap %s is not timer (%s) + restore", r.MaxGap, timer)
	}
	if r.Received < r.Sent-int((timer+margin)/(10*time.Millisecond)) {
		t.Errorf("lost too many: %d/%d", r.Received, r.Sent)
	}
}

// Two applies at once: the second fails at once, naming the first; the first completes.
func TestCLIConcurrentApply(t *testing.T) {
	l := newSafeLab(t)
	release := filepath.Join(t.TempDir(), "release")
	first := hostnetCmd(l.dir, []string{envHoldUntil + "=" + release}, "apply", "--auto-approve", l.files["changed"])
	var out1 bytes.Buffer
	first.Stdout, first.Stderr = &out1, &out1
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until the first holds the lock.
	lockPath := filepath.Join(l.dir, safe.LockFile)
	for i := 0; ; i++ {
		b, _ := os.ReadFile(lockPath)
		if bytes.Contains(b, []byte(fmt.Sprintf(`"pid":%d`, first.Process.Pid))) {
			break
		}
		if i > 200 {
			t.Fatal("first apply never took the lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The first now waits before its first kernel operation, holding the lock, until the
	// release file exists.
	t00 := time.Now()
	hostnet(t, l.dir, nil, "version")
	spawn := time.Since(t00)
	t0 := time.Now()
	code, out2 := hostnet(t, l.dir, nil, "apply", "--auto-approve", l.files["base"])
	took := time.Since(t0)
	if code != 1 || !strings.Contains(out2, fmt.Sprintf("pid %d", first.Process.Pid)) || !strings.Contains(out2, "apply "+l.files["changed"]) {
		t.Errorf("second apply: exit %d\n%s", code, out2)
	}
	if err := os.WriteFile(release, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	err := first.Wait()
	if err != nil || !strings.Contains(out1.String(), "Apply complete") {
		t.Fatalf("first apply: %v\n%s", err, out1.String())
	}
	t.Logf("second apply refused in %s (a `hostnet version` process takes %s here): %s", took.Round(time.Millisecond),
		spawn.Round(time.Millisecond), strings.TrimSpace(out2))
	// "At once" needs no clock: the first holds the lock until the release file exists,
	// which is written only after the second returned, so a second apply that waited for
	// the lock would never have returned. (Its time is logged above, next to a bare
	// process start for comparison.)
	if code, _ := hostnet(t, l.dir, nil, "plan", "--detailed-exitcode", l.files["changed"]); code != 0 {
		t.Error("first apply did not converge")
	}
}

// apply is SIGKILLed before each of its kernel operations in turn. After each crash,
// `hostnet rollback` restores the state from before; and after the same crash again,
// `hostnet apply` converges.
func TestCLICrashAtEveryStep(t *testing.T) {
	l := newSafeLab(t)
	pre := normalized(t)
	s, _ := live.Read(netns.None())
	var pf planFlags
	p, _, diags := loadAndValidate(l.files["changed"], pf.options())
	if p == nil {
		t.Fatal(diags)
	}
	ch, err := engine.Diff(p, s)
	if err != nil {
		t.Fatal(err)
	}
	n := len(ch.Steps())
	tried := 0
	for k := 1; k <= n; k++ {
		crash := []string{fmt.Sprintf("%s=%d", envCrashAt, k)}
		code, out := hostnet(t, l.dir, crash, "apply", "--auto-approve", l.files["changed"])
		if code != -1 {
			t.Fatalf("k=%d: apply was not killed: exit %d\n%s", k, code, out)
		}
		rbOut, err := hostnetCmd(l.dir, nil, "rollback", "--json").Output()
		if err != nil {
			t.Fatalf("k=%d: rollback: %v\n%s", k, err, rbOut)
		}
		if rb := schematest.Check(t, string(rbOut)).Rollback; !rb.Complete || !strings.HasPrefix(rb.Snapshot.Command, "apply ") || len(rb.Snapshot.Links) == 0 {
			t.Errorf("k=%d: rollback --json: %+v", k, rb)
		}
		if d := lineDiff(pre, normalized(t)); d != "" {
			t.Fatalf("k=%d (%s): rollback did not restore:\n%s", k, ch.Steps()[k-1].Desc, d)
		}
		hostnet(t, l.dir, crash, "apply", "--auto-approve", l.files["changed"])
		if code, out := hostnet(t, l.dir, nil, "apply", "--auto-approve", l.files["changed"]); code != 0 {
			t.Fatalf("k=%d: apply after the crash: exit %d\n%s", k, code, out)
		}
		if code, out := hostnet(t, l.dir, nil, "plan", "--detailed-exitcode", l.files["changed"]); code != 0 {
			t.Fatalf("k=%d: not converged:\n%s", k, out)
		}
		if _, err := os.Stat(filepath.Join(l.dir, safe.SnapshotFile)); !os.IsNotExist(err) {
			t.Errorf("k=%d: snapshot left after a complete apply", k)
		}
		if code, out := hostnet(t, l.dir, nil, "apply", "--auto-approve", l.files["base"]); code != 0 {
			t.Fatalf("k=%d: back to base: %s", k, out)
		}
		tried++
	}
	t.Logf("crash points tried: %d of %d operations: rollback restored and re-apply converged after each", tried, n)
	fmt.Printf("crash safety: %d kill -9 points tried\n", tried)
}

// lineDiff is live.DiffNormalized as one text, for test messages.
func lineDiff(a, b []string) string { return strings.Join(live.DiffNormalized(a, b), "\n") }
