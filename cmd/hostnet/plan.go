package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/vishvananda/netns"

	"github.com/hostnet/hostnet/hostnet/diag"
	"github.com/hostnet/hostnet/hostnet/engine"
	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/plan"
	"github.com/hostnet/hostnet/hostnet/planview"
	"github.com/hostnet/hostnet/hostnet/safe"
	"github.com/hostnet/hostnet/libvirtnet"
)

// hostFlags are the flags of commands that read the live host.
type hostFlags struct {
	planFlags
	ignoreHost bool
}

func (f *hostFlags) register(cmd *cobra.Command) {
	f.planFlags.register(cmd)
	cmd.Flags().BoolVar(&f.ignoreHost, "ignore-host-guard", false, "run even when the plan's host block names another host")
}

// loadForHost loads and validates a plan (printing diagnostics to out) and checks its host
// guard. A nil plan means the command must stop with exit code 1.
func loadForHost(out io.Writer, path string, f *hostFlags) (*plan.Plan, error) {
	p, files, diags := loadAndValidate(path, f.options())
	if len(diags) > 0 {
		if err := diag.WriteText(out, files, diags, 100); err != nil {
			return nil, err
		}
	}
	if p == nil {
		return nil, withCode(exitError, fmt.Errorf("%s: the plan is invalid: %s", path, diag.Summary(diags)))
	}
	if p.Host != nil && !f.ignoreHost {
		name, err := os.Hostname()
		if err != nil {
			return nil, withCode(exitError, err)
		}
		if short, _, _ := strings.Cut(name, "."); name != p.Host.Name && short != p.Host.Name {
			return nil, withCode(exitError, fmt.Errorf("the plan is for host %q (%s) but this host is %q; nothing was changed (use --ignore-host-guard to override)", p.Host.Name, p.Host.Range, name))
		}
	}
	return p, nil
}

// readLive reads the live kernel state of this network namespace, with what p needs beyond
// links, addresses and routes (arp_notify, forwarding databases); p may be nil.
func readLive(p *plan.Plan) (*live.State, error) {
	s, err := engine.Read(netns.None(), p)
	if err != nil {
		return nil, fmt.Errorf("reading the live network state: %w", err)
	}
	return s, nil
}

// jsonPlan is `plan --json`: the kernel changes and the libvirt network changes.
type jsonPlan struct {
	Kernel  *engine.Changes     `json:"kernel"`
	Libvirt *libvirtnet.Changes `json:"libvirt,omitempty"`
	// LibvirtError says why the libvirt networks could not be planned.
	LibvirtError string `json:"libvirt_error,omitempty"`
}

func newPlanCmd() *cobra.Command {
	var flags hostFlags
	var lf libvirtFlags
	var asJSON, detailed, destroy bool
	cmd := &cobra.Command{
		Use:   "plan [PATH]",
		Short: "Show the changes that apply would make to the live network",
		Long: `Plan reads the live kernel state over netlink (one dump of links, addresses and routes)
and prints what apply would do, object by object:

  + create            a new interface, address or route
  ~ update in place   attributes change, the link stays up
  -/+ replace         the object is taken down and set up again; the links that flap are named
  - delete            an object hostnet created that the plan no longer has

Only objects that carry hostnet's ownership mark are ever deleted. Plan changes nothing.`,
		Example: `  hostnet plan /etc/hostnet/
  hostnet plan --json plan.hcl | jq '.kernel.summary'
  hostnet plan --detailed-exitcode plan.hcl; echo $?   # 0 no changes, 2 changes, 1 error
  hostnet plan --destroy plan.hcl                       # what destroy would remove`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := argOr(args, ".")
			out := cmd.OutOrStdout()
			p, err := loadForHost(cmd.ErrOrStderr(), path, &flags)
			if err != nil {
				return err
			}
			s, err := readLive(p)
			if err != nil {
				return withCode(exitError, err)
			}
			diffFn := engine.Diff
			if destroy {
				diffFn = engine.DestroyChanges
			}
			ch, err := diffFn(p, s)
			if err != nil {
				return withCode(exitError, err)
			}
			nets, netErr := planNetworks(cmd.ErrOrStderr(), p, &lf, destroy)
			defer nets.close()
			if asJSON {
				j := jsonPlan{Kernel: ch}
				if nets != nil {
					j.Libvirt = nets.changes
				}
				if netErr != nil {
					j.LibvirtError = netErr.Error()
				}
				if err := diag.WriteJSON(out, j); err != nil {
					return err
				}
			} else if err := renderAll(out, ch, nets); err != nil {
				return err
			}
			if netErr != nil {
				return withCode(exitError, fmt.Errorf("libvirt networks: %w", netErr))
			}
			if detailed && (ch.HasChanges() || nets.hasChanges()) {
				return withCode(exitChanges, nil)
			}
			return nil
		},
	}
	flags.register(cmd)
	lf.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the changes as JSON")
	cmd.Flags().BoolVar(&detailed, "detailed-exitcode", false, "exit 0 when there are no changes, 2 when there are, 1 on error")
	cmd.Flags().BoolVar(&destroy, "destroy", false, "plan what destroy would do instead of apply")
	return cmd
}

// confirm asks on the terminal; only "yes" proceeds, as Terraform does.
func confirm(in io.Reader, out io.Writer, question string) bool {
	fmt.Fprintf(out, "\n%s\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ", question)
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false
	}
	return strings.TrimSpace(line) == "yes"
}

// renderAll prints the kernel changes and, when libvirt is involved, the network changes.
func renderAll(out io.Writer, ch *engine.Changes, nets *networkPlan) error {
	if err := planview.Render(out, ch); err != nil {
		return err
	}
	if nets == nil {
		return nil
	}
	fmt.Fprintln(out)
	return planview.RenderNetworks(out, nets.changes)
}

// applyChanges renders, confirms and applies a change set. The kernel part goes through
// package safe: the snapshot is written first, any error restores it, and with
// --confirm-within a detached watchdog restores it later unless `hostnet confirm` runs.
// libvirt networks come after the kernel part on apply (on bridges read back from the
// kernel) and before it on destroy (no network is left on a missing bridge). netErr is
// why libvirt could not be planned: destroy then changes nothing; apply applies the host
// part and reports it, so a re-run converges once libvirtd answers. verb is "apply" or
// "destroy". The caller holds the state directory's lock.
func applyChanges(cmd *cobra.Command, ch *engine.Changes, nets *networkPlan, netErr error, autoApprove bool, verb string, sr *safeRun) error {
	out := cmd.OutOrStdout()
	if err := renderAll(out, ch, nets); err != nil {
		return err
	}
	if netErr != nil && verb == "destroy" {
		return withCode(exitError, fmt.Errorf("libvirt networks: %w; nothing was changed (networks go before the bridges they use)", netErr))
	}
	if netErr != nil {
		fmt.Fprintf(out, "\nlibvirt networks cannot be planned: %v\nThe host part above can still be applied; run apply again once libvirt answers.\n", netErr)
	}
	if !ch.HasChanges() && !nets.hasChanges() {
		sr.noChanges(out)
		if netErr != nil {
			return withCode(exitError, fmt.Errorf("libvirt networks: %w", netErr))
		}
		return nil
	}
	if !autoApprove && !confirm(cmd.InOrStdin(), out, fmt.Sprintf("Do you want to %s these changes?", verb)) {
		return withCode(exitError, fmt.Errorf("%s cancelled; nothing was changed", verb))
	}
	if verb == "destroy" {
		if err := nets.apply(nil); err != nil {
			return withCode(exitError, fmt.Errorf("destroy failed at the libvirt networks: %w; the networks were put back and the host part was not changed", err))
		}
	}
	if ch.HasChanges() {
		if err := applyKernel(out, ch, verb, sr); err != nil {
			return err
		}
		// The watchdog guards the kernel change from here on, whatever happens next:
		// an error in the libvirt part below must not leave it unguarded.
		if sr.confirmWithin > 0 {
			if err := sr.startDeadman(out, sr.probes, sr.baseline); err != nil {
				return err
			}
		}
	}
	if verb == "apply" {
		if netErr != nil {
			return withCode(exitError, fmt.Errorf("the host part is applied, but libvirt networks were not: %w; run apply again once libvirt answers", netErr))
		}
		if nets.hasChanges() {
			s, err := readLive(nil)
			if err != nil {
				return withCode(exitError, err)
			}
			if err := nets.apply(s); err != nil {
				return withCode(exitError, fmt.Errorf("the host part is applied, but the libvirt networks failed and were put back: %w", err))
			}
			fmt.Fprintf(out, "libvirt networks: %d change(s) applied.\n", len(nets.changes.Changes))
		}
	}
	return nil
}

// applyKernel applies the kernel changes safely (snapshot, restore on error).
func applyKernel(out io.Writer, ch *engine.Changes, verb string, sr *safeRun) error {
	snap, note, err := safe.Prepare(sr.dir, sr.state, sr.plan, sr.command)
	if err != nil {
		return withCode(exitError, fmt.Errorf("%s: %w; nothing was changed", verb, err))
	}
	if note != "" {
		fmt.Fprintln(out, note)
	}
	if sr.probes, sr.baseline, err = sr.probesBefore(out); err != nil {
		return withCode(exitError, fmt.Errorf("%s: %w; nothing was changed", verb, err))
	}
	rep, err := safe.Apply(context.Background(), netns.None(), sr.dir, snap, ch, sr.confirmWithin > 0)
	if err != nil {
		return withCode(exitError, fmt.Errorf("%s failed: %w", verb, err))
	}
	fmt.Fprintf(out, "\n%s complete: %d kernel operations in %s, verified by reading back in %s.\n",
		strings.ToUpper(verb[:1])+verb[1:], rep.Steps, rep.Exec.Round(1e5), rep.Verify.Round(1e5))
	return nil
}

// changeRunner returns the RunE of apply and destroy: load the plan, take the state
// directory's lock, read the live state, compute the change set with diffFn, then render,
// confirm and apply it safely.
func changeRunner(flags *hostFlags, lf *libvirtFlags, autoApprove *bool, verb string, diffFn func(*plan.Plan, *live.State) (*engine.Changes, error), sr *safeRun) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		p, err := loadForHost(cmd.ErrOrStderr(), argOr(args, "."), flags)
		if err != nil {
			return err
		}
		if err := sr.check(p); err != nil {
			return withCode(exitError, err)
		}
		sr.dir = safe.StateDir(sr.dir)
		sr.command = verb + " " + argOr(args, ".")
		lock, err := safe.Acquire(sr.dir, sr.command)
		if err != nil {
			return withCode(exitError, fmt.Errorf("%s: %w; nothing was changed", verb, err))
		}
		defer lock.Release()
		s, err := readLive(p)
		if err != nil {
			return withCode(exitError, err)
		}
		ch, err := diffFn(p, s)
		if err != nil {
			return withCode(exitError, err)
		}
		sr.plan, sr.state = p, s
		nets, netErr := planNetworks(cmd.ErrOrStderr(), p, lf, verb == "destroy")
		defer nets.close()
		if err := applyChanges(cmd, ch, nets, netErr, *autoApprove, verb, sr); err != nil || !sr.wait {
			return err
		}
		lock.Release() // the watchdog takes it to restore
		return sr.waitOutcome(cmd.OutOrStdout())
	}
}

func newApplyCmd() *cobra.Command {
	var flags hostFlags
	var lf libvirtFlags
	var autoApprove bool
	var sr safeRun
	cmd := &cobra.Command{
		Use:   "apply [PATH]",
		Short: "Make the live network match the plan",
		Long: `Apply plans (as hostnet plan does), asks for confirmation unless --auto-approve, then runs
the kernel operations in dependency order: NICs (MTU, down, enslave), bonds, VLANs, bridges
and their ports, addresses, links up, routes. Bond options the kernel only takes with the bond
down or without slaves (mode, fail_over_mac, lacp_rate, ...) are applied as bond down, release
slaves, set, re-enslave, up; every other option changes in place. Afterwards apply reads the
state back once and reports anything the kernel did not take.

Before the first change apply writes a snapshot of everything it may touch to the state
directory (--state-dir, $HOSTNET_STATE_DIR, default /run/hostnet); on any error it restores
the snapshot and reports both. With --confirm-within a detached watchdog restores it after
the given time unless 'hostnet confirm' runs (or every --probe passes) first: safe over the
SSH link being reconfigured. One apply, destroy or rollback runs at a time per host.`,
		Example: `  hostnet apply /etc/hostnet/
  hostnet apply --auto-approve --var-file hv1.vars.hcl site/
  hostnet apply --confirm-within 2m --probe gateway plan.hcl && hostnet confirm
  hostnet apply --auto-approve --confirm-within 2m --probe gateway --wait plan.hcl
  hostnet --netns hv1 apply --auto-approve plan.hcl`,
		Args: cobra.MaximumNArgs(1),
		RunE: changeRunner(&flags, &lf, &autoApprove, "apply", engine.Diff, &sr),
	}
	flags.register(cmd)
	lf.register(cmd)
	cmd.Flags().BoolVar(&autoApprove, "auto-approve", false, "apply without asking")
	sr.register(cmd, true)
	return cmd
}

func newDestroyCmd() *cobra.Command {
	var flags hostFlags
	var lf libvirtFlags
	var autoApprove bool
	var sr safeRun
	cmd := &cobra.Command{
		Use:   "destroy [PATH]",
		Short: "Remove what the plan created, in reverse order",
		Long: `Destroy deletes the interfaces, addresses and routes of the plan that carry hostnet's
ownership mark, in reverse dependency order, and releases the plan's NICs from their bonds.
NICs themselves are never deleted, and nothing without the mark is touched.`,
		Example: `  hostnet destroy /etc/hostnet/
  hostnet destroy --auto-approve plan.hcl`,
		Args: cobra.MaximumNArgs(1),
		RunE: changeRunner(&flags, &lf, &autoApprove, "destroy", engine.DestroyChanges, &sr),
	}
	flags.register(cmd)
	lf.register(cmd)
	sr.register(cmd, false)
	cmd.Flags().BoolVar(&autoApprove, "auto-approve", false, "destroy without asking")
	return cmd
}

func argOr(args []string, def string) string {
	if len(args) > 0 {
		return args[0]
	}
	return def
}
