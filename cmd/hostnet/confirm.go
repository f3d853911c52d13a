package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/vishvananda/netns"

	"github.com/hostnet/hostnet/hostnet/jsonout"
	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/plan"
	"github.com/hostnet/hostnet/hostnet/safe"
)

// watchdogCmd is the hidden command the dead-man process runs.
const watchdogCmd = "__watchdog"

// addStateDirFlag registers --state-dir.
func addStateDirFlag(cmd *cobra.Command, dir *string) {
	cmd.Flags().StringVar(dir, "state-dir", "", "directory of the lock, the snapshot and the dead-man timer (default $"+
		safe.EnvStateDir+" or "+safe.DefaultStateDir+")")
}

// safeRun carries what apply and destroy need for package safe.
type safeRun struct {
	// probes and baseline are the --probe results taken before the kernel changes.
	probes   []string
	baseline []bool

	dir           string
	confirmWithin time.Duration
	probeSpecs    []string

	// wait makes apply wait for the watchdog's verdict (see waitOutcome); pendingID is the
	// confirmation this run started.
	wait      bool
	pendingID string

	command string // "apply plan.hcl"
	plan    *plan.Plan
	state   *live.State
}

func (sr *safeRun) register(cmd *cobra.Command, deadman bool) {
	addStateDirFlag(cmd, &sr.dir)
	if !deadman {
		return
	}
	cmd.Flags().DurationVar(&sr.confirmWithin, "confirm-within", 0,
		"after applying, restore the previous state after this long (e.g. 2m) unless 'hostnet confirm' runs")
	cmd.Flags().StringArrayVar(&sr.probeSpecs, "probe", nil,
		"with --confirm-within: confirm as soon as every probe passes; a probe that passed before the apply and fails "+
			fmt.Sprint(safe.ProbeFailures)+" times after it restores at once. gateway (ICMP to the planned gateway), tcp:HOST:PORT, exec:COMMAND (no shell)")
	cmd.Flags().BoolVar(&sr.wait, "wait", false,
		"with --probe: wait until the watchdog confirmed (exit 0) or restored the previous state (exit 1)")
}

// check validates the flags against the plan before anything runs.
func (sr *safeRun) check(p *plan.Plan) error {
	if sr.confirmWithin < 0 || (sr.confirmWithin > 0 && sr.confirmWithin < time.Second) {
		return fmt.Errorf("--confirm-within %s: want at least 1s", sr.confirmWithin)
	}
	if len(sr.probeSpecs) > 0 && sr.confirmWithin == 0 {
		return errors.New("--probe needs --confirm-within")
	}
	if sr.wait && len(sr.probeSpecs) == 0 {
		return errors.New("--wait needs --confirm-within and --probe: without a probe only 'hostnet confirm' can confirm")
	}
	for i, spec := range sr.probeSpecs {
		if spec == "gateway" {
			gw := plannedGateway(p)
			if !gw.IsValid() {
				return errors.New("--probe gateway: the plan sets no IPv4 gateway")
			}
			sr.probeSpecs[i] = "icmp:" + gw.String()
		}
		if _, err := safe.ParseProbe(sr.probeSpecs[i]); err != nil {
			return err
		}
	}
	return nil
}

func plannedGateway(p *plan.Plan) (gw netip.Addr) {
	for _, i := range p.Interfaces() {
		if g := i.Common().Gateway; g.IsValid() && g.Is4() {
			return g
		}
	}
	return gw
}

// probesBefore runs the probes once before the apply: the watchdog restores early only
// when a probe that passed here fails after the apply.
func (sr *safeRun) probesBefore(out io.Writer) ([]string, []bool, error) {
	if sr.confirmWithin == 0 || len(sr.probeSpecs) == 0 {
		return nil, nil, nil
	}
	var probes []safe.Probe
	for _, spec := range sr.probeSpecs {
		p, err := safe.ParseProbe(spec)
		if err != nil {
			return nil, nil, err
		}
		probes = append(probes, p)
	}
	errs := safe.RunProbes(context.Background(), probes)
	baseline := make([]bool, len(errs))
	for i, err := range errs {
		baseline[i] = err == nil
		if err != nil {
			fmt.Fprintf(out, "Probe %s fails before the apply (%v): it can confirm, not restore early.\n", probes[i], err)
		}
	}
	return sr.probeSpecs, baseline, nil
}

// startDeadman records the pending confirmation and starts the detached watchdog. Without a
// watchdog nothing would restore the state, so a failure to start one restores it now.
func (sr *safeRun) startDeadman(out io.Writer, probes []string, baseline []bool) (*safe.Pending, error) {
	dir, err := filepath.Abs(sr.dir)
	if err != nil {
		return nil, withCode(exitError, err)
	}
	p := safe.NewPending(sr.command, sr.confirmWithin, probes, baseline)
	sr.pendingID = p.ID
	err = p.Save(dir)
	if err == nil {
		err = safe.StartWatchdog(dir, p, []string{watchdogCmd, "--state-dir", dir, "--id", p.ID})
	}
	if err != nil {
		_, rep, rerr := safe.Rollback(context.Background(), netns.None(), dir)
		if rerr != nil {
			return nil, withKind(jsonout.ErrApply, fmt.Errorf("cannot start the dead-man watchdog (%v), and the restore failed: %w", err, rerr))
		}
		return nil, withKind(jsonout.ErrApply, fmt.Errorf("cannot start the dead-man watchdog: %w; the previous state was restored (%s)", err, rep))
	}
	fmt.Fprintf(out, "\nRun 'hostnet confirm' within %s to keep this state: otherwise the watchdog (pid %d) restores the previous one at %s.\n",
		sr.confirmWithin, p.PID, p.Deadline.Local().Format("15:04:05"))
	return p, nil
}

// noChanges runs when an apply finds nothing to do: a snapshot left by an apply that died
// is then obsolete (the host matches the plan), unless a confirmation holds it.
func (sr *safeRun) noChanges(out io.Writer) {
	if sr.confirmWithin > 0 {
		fmt.Fprintln(out, "Nothing to confirm: no watchdog started.")
	}
	if _, err := safe.LoadPending(sr.dir); err == nil {
		return
	}
	path := filepath.Join(sr.dir, safe.SnapshotFile)
	if snap, err := safe.LoadSnapshot(path); err == nil && os.Remove(path) == nil {
		fmt.Fprintf(out, "The snapshot of an interrupted run (pid %d, %q) is removed: the host matches the plan.\n", snap.PID, snap.Command)
	}
}

func newConfirmCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "confirm",
		Short: "Keep the state of an apply --confirm-within: stop its dead-man timer",
		Long: `Confirm keeps the network state that 'hostnet apply --confirm-within' set: the pending
confirmation and the snapshot are removed, and the watchdog exits without restoring. It fails
(exit 1) when nothing is pending, for instance because the timer already restored the state.`,
		Example: `  hostnet apply --confirm-within 2m plan.hcl
  # check that you can still reach the host, then:
  hostnet confirm`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir = safe.StateDir(dir)
			lock, err := safe.Acquire(dir, "confirm")
			if err != nil {
				return withCode(exitError, err)
			}
			defer lock.Release()
			p, err := safe.Confirm(dir)
			if err != nil {
				return withCode(exitError, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Confirmed: the state of %q stays, %s before the deadline; the watchdog (pid %d) exits.\n",
				p.Command, time.Until(p.Deadline).Round(100*time.Millisecond), p.PID)
			return nil
		},
	}
	addStateDirFlag(cmd, &dir)
	return cmd
}

// newWatchdogCmd is the hidden entry point of the detached dead-man process.
func newWatchdogCmd() *cobra.Command {
	var dir, id string
	cmd := &cobra.Command{
		Use:    watchdogCmd,
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// No terminal, no session leader above us: ignore what a dying SSH session or
			// a Ctrl-C in it could still send.
			signal.Ignore(syscall.SIGHUP, syscall.SIGINT, syscall.SIGPIPE)
			if err := safe.Watch(context.Background(), netns.None(), dir, id, cmd.ErrOrStderr()); err != nil {
				return withCode(exitError, err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "state-dir", "", "state directory")
	cmd.Flags().StringVar(&id, "id", "", "id of the pending confirmation")
	return cmd
}

// describeSnapshot is one line about a snapshot for people.
func describeSnapshot(s *safe.Snapshot) string {
	return fmt.Sprintf("%q of %s (pid %d), %d links: %s", s.Command, s.Taken.Local().Format("2006-01-02 15:04:05"), s.PID,
		len(s.Links), strings.Join(s.Names(), " "))
}
