package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hostnet/hostnet/hostnet/engine"
	"github.com/hostnet/hostnet/hostnet/safe"
)

// waitGrace is how long past the deadline --wait gives the watchdog to finish a restore.
const waitGrace = 5 * time.Minute

// waitOutcome is `apply --confirm-within D --probe P --wait`: after the apply released the
// lock, it waits until the watchdog has confirmed or restored the pending state, then tells
// which by planning again (the host matches the plan: confirmed; it does not: restored), so
// a script or an Ansible task gets the outcome of the whole safe apply from one exit code.
func (sr *safeRun) waitOutcome(out io.Writer) error {
	if sr.pendingID == "" {
		return nil // nothing changed, nothing pending
	}
	fmt.Fprintf(out, "Waiting for the watchdog to confirm (probes pass) or restore...\n")
	limit := time.Now().Add(sr.confirmWithin + waitGrace)
	for {
		p, err := safe.LoadPending(sr.dir)
		if errors.Is(err, os.ErrNotExist) || (err == nil && p.ID != sr.pendingID) {
			break
		}
		if time.Now().After(limit) {
			return withCode(exitError, fmt.Errorf("the confirmation is still pending %s after the deadline; see %s",
				waitGrace, filepath.Join(sr.dir, safe.WatchdogLog)))
		}
		time.Sleep(200 * time.Millisecond)
	}
	s, err := readLive(sr.plan)
	if err != nil {
		return withCode(exitError, err)
	}
	ch, err := engine.Diff(sr.plan, s)
	if err != nil {
		return withCode(exitError, err)
	}
	if !ch.HasChanges() {
		fmt.Fprintln(out, "Confirmed: the probes passed and the applied state stays.")
		return nil
	}
	why := watchdogReport(filepath.Join(sr.dir, safe.WatchdogLog), sr.pendingID)
	return withCode(exitError, fmt.Errorf("the watchdog restored the previous state: the host no longer matches the plan (%d object(s) differ)%s",
		ch.Summary.Create+ch.Summary.Update+ch.Summary.Replace+ch.Summary.Delete, why))
}

// watchdogReport returns the last lines the watchdog of this apply logged, for the error.
func watchdogReport(path, id string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(io.LimitReader(f, 1<<20))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	if len(lines) == 0 {
		return ""
	}
	return ":\n  " + strings.Join(lines, "\n  ")
}
