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
	"github.com/hostnet/hostnet/hostnet/jsonout"
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

// loadForHost loads and validates a plan and checks its host guard. The diagnostics go to
// doc with --json, otherwise as text to stderr. A nil plan means the command must stop with
// the error returned.
func loadForHost(stderr io.Writer, path string, f *hostFlags, doc *jsonout.Document) (*plan.Plan, error) {
	p, files, diags := loadAndValidate(path, f.options())
	if doc != nil {
		doc.Diagnostics = jsonout.Diagnostics(files, diags)
	} else if len(diags) > 0 {
		if err := diag.WriteText(stderr, files, diags, 100); err != nil {
			return nil, err
		}
	}
	if p == nil {
		return nil, withKind(jsonout.ErrInvalidPlan, fmt.Errorf("%s: the plan is invalid: %s", path, diag.Summary(diags)))
	}
	if p.Host != nil && !f.ignoreHost {
		name, err := os.Hostname()
		if err != nil {
			return nil, withCode(exitError, err)
		}
		if short, _, _ := strings.Cut(name, "."); name != p.Host.Name && short != p.Host.Name {
			return nil, withKind(jsonout.ErrHostGuard, fmt.Errorf("the plan is for host %q (%s) but this host is %q; nothing was changed (use --ignore-host-guard to override)", p.Host.Name, p.Host.Range, name))
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

// viewFlags choose how plans of changes are shown.
type viewFlags struct {
	asJSON  bool
	verbose bool
}

func (f *viewFlags) register(cmd *cobra.Command, what string) {
	cmd.Flags().BoolVar(&f.asJSON, "json", false, "print "+what+" as one JSON document on stdout, errors included (docs/json.md)")
	cmd.Flags().BoolVar(&f.verbose, "verbose", false, "show every object and attribute; by default instances of one for_each block with the same change are grouped")
}

func newPlanCmd() *cobra.Command {
	var flags hostFlags
	var lf libvirtFlags
	var view viewFlags
	var detailed, destroy bool
	cmd := &cobra.Command{
		Use:   "plan [PATH]",
		Short: "Show the changes that apply would make to the live network",
		Long: `Plan reads the live kernel state over netlink (one dump of links, addresses and routes)
and prints what apply would do, object by object:

  + create            a new interface, address or route
  ~ update in place   attributes change, the link stays up
  -/+ replace         the object is taken down and set up again; the links that flap are named
  - delete            an object hostnet created that the plan no longer has

Instances of one for_each block that change alike are shown as one group
(+ create 500 vlan.tenant[100..599]); --verbose shows each. Only objects that carry
hostnet's ownership mark are ever deleted. Plan changes nothing.

Exit status: 0 success, 1 error; with --detailed-exitcode 0 no changes, 2 changes, 1 error.`,
		Example: `  hostnet plan /etc/hostnet/
  hostnet plan --json plan.hcl | jq '.changes.summary'
  hostnet plan --detailed-exitcode plan.hcl; echo $?   # 0 no changes, 2 changes, 1 error
  hostnet plan --destroy plan.hcl                       # what destroy would remove`,
		Args: cobra.MaximumNArgs(1),
		RunE: jsonRunE("plan", &view.asJSON, func(cmd *cobra.Command, args []string, doc *jsonout.Document) error {
			path := argOr(args, ".")
			out := cmd.OutOrStdout()
			p, err := loadForHost(cmd.ErrOrStderr(), path, &flags, doc)
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
			nets, planned, netErr := planNetworks(p, &lf, destroy)
			defer nets.close()
			if doc != nil {
				doc.Changes = jsonout.ChangesOf(ch, nets.changesOf(), planned, netErr)
			} else if err := renderAll(out, ch, nets, &view); err != nil {
				return err
			}
			if netErr != nil {
				return withKind(jsonout.ErrLibvirt, fmt.Errorf("libvirt networks: %w", netErr))
			}
			if detailed && (ch.HasChanges() || nets.hasChanges()) {
				return withCode(exitChanges, nil)
			}
			return nil
		}),
	}
	flags.register(cmd)
	lf.register(cmd)
	view.register(cmd, "the changes")
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
func renderAll(out io.Writer, ch *engine.Changes, nets *networkPlan, view *viewFlags) error {
	opts := planview.Options{Verbose: view.verbose, Color: useColor(out)}
	if err := planview.RenderWith(out, ch, opts); err != nil {
		return err
	}
	if nets == nil {
		return nil
	}
	fmt.Fprintln(out)
	return planview.RenderNetworksWith(out, nets.changes, opts)
}

// changeRun is one apply or destroy: what it needs beyond the change set.
type changeRun struct {
	verb        string // "apply" or "destroy"
	autoApprove bool
	detailed    bool
	view        viewFlags
	sr          safeRun
	doc         *jsonout.Document // nil without --json
	prog        *progress
}

// applyChanges renders, confirms and applies a change set. The kernel part goes through
// package safe: the snapshot is written first, any error restores it, and with
// --confirm-within a detached watchdog restores it later unless `hostnet confirm` runs.
// libvirt networks come after the kernel part on apply (on bridges read back from the
// kernel) and before it on destroy (no network is left on a missing bridge). netErr is
// why libvirt could not be planned: destroy then changes nothing; apply applies the host
// part and reports it, so a re-run converges once libvirtd answers. The caller holds the
// state directory's lock. With --json the text goes to stderr and the document records
// what happened.
func applyChanges(cmd *cobra.Command, ch *engine.Changes, nets *networkPlan, planned int, netErr error, r *changeRun) error {
	out := cmd.OutOrStdout()
	verb, sr := r.verb, &r.sr
	if r.doc != nil {
		out = cmd.ErrOrStderr()
		r.doc.Changes = jsonout.ChangesOf(ch, nets.changesOf(), planned, netErr)
		r.doc.Result = jsonout.NewResult(nil)
	} else if err := renderAll(out, ch, nets, &r.view); err != nil {
		return err
	}
	if netErr != nil && verb == "destroy" {
		return withKind(jsonout.ErrLibvirt, fmt.Errorf("libvirt networks: %w; nothing was changed (networks go before the bridges they use)", netErr))
	}
	if netErr != nil {
		fmt.Fprintf(out, "\nlibvirt networks cannot be planned: %v\nThe host part above can still be applied; run apply again once libvirt answers.\n", netErr)
	}
	if !ch.HasChanges() && !nets.hasChanges() {
		sr.noChanges(out)
		if netErr != nil {
			return withKind(jsonout.ErrLibvirt, fmt.Errorf("libvirt networks: %w", netErr))
		}
		return nil
	}
	if !r.autoApprove && !confirm(cmd.InOrStdin(), out, fmt.Sprintf("Do you want to %s these changes?", verb)) {
		return withKind(jsonout.ErrCancelled, fmt.Errorf("%s cancelled; nothing was changed", verb))
	}
	result := jsonout.NewResult(nil)
	if r.doc != nil {
		r.doc.Result = result
	}
	if verb == "destroy" && nets.hasChanges() {
		if err := nets.apply(nil, r.prog); err != nil {
			return withKind(jsonout.ErrLibvirt, fmt.Errorf("destroy failed at the libvirt networks: %w; the networks were put back and the host part was not changed", err))
		}
		result.AddNetworks(nets.changes)
		fmt.Fprintf(out, "\nlibvirt networks deleted (%d): %s\n", len(nets.changes.Changes), planview.NameList(networkNames(nets.changes)))
	}
	if ch.HasChanges() {
		rep, err := applyKernel(out, ch, r)
		if rep != nil {
			applied := jsonout.NewResult(rep)
			result.KernelOperations, result.ExecMS, result.VerifyMS, result.Unconverged = applied.KernelOperations, applied.ExecMS, applied.VerifyMS, applied.Unconverged
			result.Applied = result.Applied || applied.Applied
		}
		if err != nil {
			return err
		}
		// The watchdog guards the kernel change from here on, whatever happens next:
		// an error in the libvirt part below must not leave it unguarded.
		if sr.confirmWithin > 0 {
			p, err := sr.startDeadman(out, sr.probes, sr.baseline)
			if err != nil {
				return err
			}
			result.Confirmation = jsonout.ConfirmationOf(p)
		}
	}
	if verb == "apply" {
		if netErr != nil {
			return withKind(jsonout.ErrLibvirt, fmt.Errorf("the host part is applied, but libvirt networks were not: %w; run apply again once libvirt answers", netErr))
		}
		if nets.hasChanges() {
			s, err := readLive(nil)
			if err != nil {
				return withCode(exitError, err)
			}
			if err := nets.apply(s, r.prog); err != nil {
				return withKind(jsonout.ErrLibvirt, fmt.Errorf("the host part is applied, but the libvirt networks failed and were put back: %w", err))
			}
			result.AddNetworks(nets.changes)
			fmt.Fprintf(out, "libvirt networks: %d change(s) applied.\n", len(nets.changes.Changes))
		}
	}
	if r.detailed {
		return withCode(exitChanges, nil)
	}
	return nil
}

// isChanged reports whether err is only --detailed-exitcode's "changes were made".
func isChanged(err error) bool {
	var ce *exitCodeError
	return errors.As(err, &ce) && ce.code == exitChanges
}

func networkNames(ch *libvirtnet.Changes) []string {
	var names []string
	for _, c := range ch.Changes {
		names = append(names, c.Name)
	}
	return names
}

// applyKernel applies the kernel changes safely (snapshot, restore on error), with a
// progress line on a terminal.
func applyKernel(out io.Writer, ch *engine.Changes, r *changeRun) (*engine.Report, error) {
	verb, sr := r.verb, &r.sr
	snap, note, err := safe.Prepare(sr.dir, sr.state, sr.plan, sr.command)
	if err != nil {
		return nil, withCode(exitError, fmt.Errorf("%s: %w; nothing was changed", verb, err))
	}
	if note != "" {
		fmt.Fprintln(out, note)
	}
	if sr.probes, sr.baseline, err = sr.probesBefore(out); err != nil {
		return nil, withCode(exitError, fmt.Errorf("%s: %w; nothing was changed", verb, err))
	}
	ctx := engine.WithProgress(context.Background(), func(done, total int, phase engine.Phase) {
		r.prog.steps(strings.ToUpper(verb[:1])+verb[1:]+"ing: kernel operations", done, total, phase.String())
	})
	rep, err := safe.Apply(ctx, netns.None(), sr.dir, snap, ch, sr.confirmWithin > 0)
	r.prog.done()
	if err != nil {
		return rep, withKind(jsonout.ErrApply, fmt.Errorf("%s failed: %w", verb, err))
	}
	fmt.Fprintf(out, "\n%s complete: %d kernel operations in %s, verified by reading back in %s.\n",
		strings.ToUpper(verb[:1])+verb[1:], rep.Steps, rep.Exec.Round(1e5), rep.Verify.Round(1e5))
	return rep, nil
}

// changeRunner returns the RunE of apply and destroy: load the plan, take the state
// directory's lock, read the live state, compute the change set with diffFn, then render,
// confirm and apply it safely.
func changeRunner(flags *hostFlags, lf *libvirtFlags, r *changeRun, diffFn func(*plan.Plan, *live.State) (*engine.Changes, error)) func(*cobra.Command, []string) error {
	return jsonRunE(r.verb, &r.view.asJSON, func(cmd *cobra.Command, args []string, doc *jsonout.Document) error {
		r.doc = doc
		r.prog = newProgress(cmd.ErrOrStderr(), doc != nil)
		verb, sr := r.verb, &r.sr
		if doc != nil && !r.autoApprove {
			return withKind(jsonout.ErrUsage, fmt.Errorf("%s --json needs --auto-approve: the JSON document is the only output, so there is no one to ask", verb))
		}
		p, err := loadForHost(cmd.ErrOrStderr(), argOr(args, "."), flags, doc)
		if err != nil {
			return err
		}
		if err := sr.check(p); err != nil {
			return withKind(jsonout.ErrUsage, err)
		}
		sr.dir = safe.StateDir(sr.dir)
		sr.command = verb + " " + argOr(args, ".")
		lock, err := safe.Acquire(sr.dir, sr.command)
		if err != nil {
			return withKind(jsonout.ErrLocked, fmt.Errorf("%s: %w; nothing was changed", verb, err))
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
		nets, planned, netErr := planNetworks(p, lf, verb == "destroy")
		defer nets.close()
		err = applyChanges(cmd, ch, nets, planned, netErr, r)
		if !sr.wait || (err != nil && !isChanged(err)) {
			return err
		}
		lock.Release() // the watchdog takes it to restore
		out := cmd.OutOrStdout()
		if doc != nil {
			out = cmd.ErrOrStderr()
		}
		if werr := sr.waitOutcome(out); werr != nil {
			return werr
		}
		return err
	})
}

func newApplyCmd() *cobra.Command {
	var flags hostFlags
	var lf libvirtFlags
	r := &changeRun{verb: "apply"}
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
SSH link being reconfigured. One apply, destroy or rollback runs at a time per host.

On a terminal a progress line counts the kernel operations and libvirt networks.

Exit status: 0 success (changed or not), 1 error; with --detailed-exitcode 0 nothing to
change, 2 changes applied, 1 error. --json (with --auto-approve) prints what changed.`,
		Example: `  hostnet apply /etc/hostnet/
  hostnet apply --auto-approve --var-file hv1.vars.hcl site/
  hostnet apply --auto-approve --json --detailed-exitcode plan.hcl | jq .result
  hostnet apply --confirm-within 2m --probe gateway plan.hcl && hostnet confirm
  hostnet apply --auto-approve --confirm-within 2m --probe gateway --wait plan.hcl
  hostnet --netns hv1 apply --auto-approve plan.hcl`,
		Args: cobra.MaximumNArgs(1),
		RunE: changeRunner(&flags, &lf, r, engine.Diff),
	}
	flags.register(cmd)
	lf.register(cmd)
	cmd.Flags().BoolVar(&r.autoApprove, "auto-approve", false, "apply without asking")
	cmd.Flags().BoolVar(&r.detailed, "detailed-exitcode", false, "exit 0 when nothing had to change, 2 when changes were applied, 1 on error")
	r.view.register(cmd, "what was planned and changed")
	r.sr.register(cmd, true)
	return cmd
}

func newDestroyCmd() *cobra.Command {
	var flags hostFlags
	var lf libvirtFlags
	r := &changeRun{verb: "destroy"}
	cmd := &cobra.Command{
		Use:   "destroy [PATH]",
		Short: "Remove what the plan created, in reverse order",
		Long: `Destroy deletes the libvirt networks, interfaces, addresses and routes of the plan that
carry hostnet's ownership mark, in reverse dependency order, and releases the plan's NICs
from their bonds. NICs themselves are never deleted, and nothing without the mark is
touched. It names the libvirt networks it deleted.

Exit status as for apply.`,
		Example: `  hostnet destroy /etc/hostnet/
  hostnet destroy --auto-approve plan.hcl
  hostnet destroy --auto-approve --json plan.hcl | jq '.result.libvirt_networks'`,
		Args: cobra.MaximumNArgs(1),
		RunE: changeRunner(&flags, &lf, r, engine.DestroyChanges),
	}
	flags.register(cmd)
	lf.register(cmd)
	r.sr.register(cmd, false)
	cmd.Flags().BoolVar(&r.autoApprove, "auto-approve", false, "destroy without asking")
	cmd.Flags().BoolVar(&r.detailed, "detailed-exitcode", false, "exit 0 when nothing had to change, 2 when changes were made, 1 on error")
	r.view.register(cmd, "what was planned and removed")
	return cmd
}

func argOr(args []string, def string) string {
	if len(args) > 0 {
		return args[0]
	}
	return def
}
