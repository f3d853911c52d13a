//go:build lab

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/safe"
)

// The tests of this file reproduce the findings of the fault audit of safe apply (issue
// 16); each fails on the code before the fix.

// waitExit waits for cmd to exit, killing it (and failing) after limit: a command that
// should refuse at once but waits forever (at a prompt) would otherwise hang the test.
func waitExit(t *testing.T, cmd *exec.Cmd, limit time.Duration) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(limit):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		t.Fatalf("still running after %s", limit)
		return -1
	}
}

// Finding 1: while a confirmation is pending, an apply run without --auto-approve must
// refuse before it takes the lock or prompts (it held the lock at its "Enter a value"
// prompt, and the watchdog gave up waiting for it); so must destroy. The watchdog then
// restores on time.
func TestCLIPendingRefusesPromptingApply(t *testing.T) {
	l := newSafeLab(t)
	pre := normalized(t)
	const timer = 8 * time.Second
	cmd, _, _ := l.startDeadmanApply(t, "changed", timer.String())
	cmd.Wait()
	for _, args := range [][]string{{"apply", l.files["base"]}, {"destroy", l.files["base"]}} {
		second := hostnetCmd(l.dir, nil, args...)
		second.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		stdin, err := second.StdinPipe() // an operator who never answers
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		second.Stdout, second.Stderr = &out, &out
		if err := second.Start(); err != nil {
			t.Fatal(err)
		}
		code := waitExit(t, second, 60*time.Second)
		stdin.Close()
		if code != 1 || !strings.Contains(out.String(), "confirmation is pending") || strings.Contains(out.String(), "Enter a value") {
			t.Errorf("%s during a pending confirmation: exit %d\n%s", args[0], code, out.String())
		}
	}
	l.waitGone(t, timer+30*time.Second)
	if d := lineDiff(pre, normalized(t)); d != "" {
		t.Fatalf("the watchdog did not restore:\n%s", d)
	}
}

// Finding 1: a watchdog never stops trying to restore. Something holds the lock past the
// deadline for longer than the minute the watchdog used to wait before giving up; once it
// lets go, the watchdog restores.
func TestCLIWatchdogOutwaitsLockHolder(t *testing.T) {
	l := newSafeLab(t)
	pre := normalized(t)
	const timer = 3 * time.Second
	cmd, wd, _ := l.startDeadmanApply(t, "changed", timer.String())
	cmd.Wait()
	lock, err := safe.Acquire(l.dir, "test: a run that holds the lock")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(timer + safe.LockWaitLog + 5*time.Second)
	if !safe.Alive(wd) {
		lock.Release()
		log, _ := os.ReadFile(filepath.Join(l.dir, safe.WatchdogLog))
		t.Fatalf("the watchdog gave up while the lock was held:\n%s", log)
	}
	lock.Release()
	l.waitGone(t, 30*time.Second)
	if d := lineDiff(pre, normalized(t)); d != "" {
		t.Fatalf("not restored once the lock was free:\n%s", d)
	}
	log, _ := os.ReadFile(filepath.Join(l.dir, safe.WatchdogLog))
	if !bytes.Contains(log, []byte("still waiting for the lock")) {
		t.Errorf("the watchdog log does not say it waited:\n%s", log)
	}
}

// Finding 2: SIGHUP (the SSH session dies), Ctrl-C or SIGTERM at several points of an apply
// --confirm-within never leaves a half-applied host without a watchdog: the pending record
// and the watchdog exist before the first change, the apply finishes its changes instead of
// dying half way, and the unconfirmed result is restored at the deadline. SIGKILL, which
// nothing can catch, at the same points: the watchdog restores too.
func TestCLISignalDuringConfirmWithinApply(t *testing.T) {
	l := newSafeLab(t)
	pre := normalized(t)
	n := changedSteps(t, l)
	const timer = 6 * time.Second
	for _, c := range []struct {
		k   int
		sig string
	}{{1, "HUP"}, {n / 2, "HUP"}, {n, "HUP"}, {n / 3, "INT"}, {2 * n / 3, "TERM"}, {1, "KILL"}, {n / 2, "KILL"}} {
		t.Run(fmt.Sprintf("%s before step %d of %d", c.sig, c.k, n), func(t *testing.T) {
			env := []string{fmt.Sprintf("%s=%d:%s", envSignalAt, c.k, c.sig)}
			if c.sig == "KILL" {
				env = []string{fmt.Sprintf("%s=%d", envCrashAt, c.k)}
			}
			cmd := hostnetCmd(l.dir, env, "apply", "--auto-approve", "--confirm-within", timer.String(), l.files["changed"])
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // the signal goes to this group only
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			code := waitExit(t, cmd, 2*time.Minute)
			if c.sig != "KILL" && (code != 0 || !strings.Contains(out.String(), "during the changes: finished them")) {
				t.Errorf("the apply did not finish through the signal: exit %d\n%s", code, out.String())
			}
			if _, err := os.Stat(filepath.Join(l.dir, safe.PendingFile)); err != nil {
				t.Fatalf("no pending confirmation after the interrupted apply (%v): nothing will restore\n%s", err, out.String())
			}
			l.waitGone(t, timer+30*time.Second)
			if d := lineDiff(pre, normalized(t)); d != "" {
				t.Fatalf("the watchdog did not restore:\n%s\napply output:\n%s", d, out.String())
			}
		})
	}
}

// changedSteps is how many kernel operations the apply of changedPlan takes from basePlan.
func changedSteps(t *testing.T, l *safeLab) int {
	t.Helper()
	code, out := hostnet(t, l.dir, nil, "plan", "--json", l.files["changed"])
	var j struct {
		Changes struct {
			Ops int `json:"kernel_operations"`
		} `json:"changes"`
	}
	if code != 0 || json.Unmarshal([]byte(out[strings.IndexByte(out, '{'):]), &j) != nil || j.Changes.Ops < 6 {
		t.Fatalf("plan --json: exit %d\n%s", code, out)
	}
	return j.Changes.Ops
}

// Finding 3: a link someone else made, with a planned name and kind, is refused with a
// diagnostic and left alone (it was marked, stripped of its addresses and later deleted by
// destroy); so is one whose alias merely starts with "hostnet:".
func TestCLIRefusesForeignLinks(t *testing.T) {
	labNICs(t, "52:54:00:00:0c:01", "52:54:00:00:0c:02")
	file := filepath.Join(t.TempDir(), "plan.hcl")
	if err := os.WriteFile(file, []byte(cliPlan), 0o644); err != nil {
		t.Fatal(err)
	}
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "br0"}}
	if err := netlink.LinkAdd(br); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { netlink.LinkDel(br) })
	addr, _ := netlink.ParseAddr("203.0.113.5/24")
	if err := netlink.AddrAdd(br, addr); err != nil {
		t.Fatal(err)
	}
	netlink.LinkSetUp(br)
	for _, alias := range []string{"", `hostnet:bridge.br0`} {
		if err := netlink.LinkSetAlias(br, alias); err != nil {
			t.Fatal(err)
		}
		pre := userBridge(t)
		code, out, errs := runCLI(t, "apply", "--auto-approve", file)
		if code != 1 || !strings.Contains(errs, "hostnet did not create it") || !strings.Contains(errs, "nothing was changed") {
			t.Errorf("alias %q: apply over the user's br0: exit %d\n%s%s", alias, code, out, errs)
		}
		code, out, errs = runCLI(t, "destroy", "--auto-approve", file)
		if code != 0 && code != 1 {
			t.Errorf("destroy: exit %d\n%s%s", code, out, errs)
		}
		if post := userBridge(t); post != pre {
			t.Fatalf("alias %q: the user's br0 changed:\n%s\n->\n%s\n%s%s", alias, pre, post, out, errs)
		}
	}
}

// userBridge is br0's normalized lines (link, addresses) for comparisons.
func userBridge(t *testing.T) string {
	t.Helper()
	s, err := live.Read(netns.None())
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, x := range s.Normalized() {
		if strings.Contains(x, "br0") {
			lines = append(lines, x)
		}
	}
	if len(lines) == 0 {
		t.Fatal("br0 is gone")
	}
	return strings.Join(lines, "\n")
}

// Finding 7: `--probe exec:./check` given relative to the operator's directory passes there
// before the apply; the watchdog (cwd /) must run the same program, so the probes confirm
// the good apply instead of undoing it after three failures.
func TestCLIRelativeExecProbe(t *testing.T) {
	l := newSafeLab(t)
	work := t.TempDir()
	if err := os.WriteFile(filepath.Join(work, "check"), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := hostnetCmd(l.dir, nil, "apply", "--auto-approve", "--confirm-within", "60s", "--probe", "exec:./check", l.files["changed"])
	cmd.Dir = work
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, cmd, 2*time.Minute); code != 0 {
		t.Fatalf("apply: exit %d\n%s", code, out.String())
	}
	l.waitGone(t, 50*time.Second)
	log, _ := os.ReadFile(filepath.Join(l.dir, safe.WatchdogLog))
	if !bytes.Contains(log, []byte("every probe passed: confirmed")) {
		t.Fatalf("the watchdog did not confirm by the probe:\n%s", log)
	}
	if code, o := hostnet(t, l.dir, nil, "plan", "--detailed-exitcode", l.files["changed"]); code != 0 {
		t.Errorf("the confirmed state was not kept: exit %d\n%s", code, o)
	}
}
