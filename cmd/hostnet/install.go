package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/vishvananda/netns"

	"github.com/hostnet/hostnet/hostnet/coexist"
	"github.com/hostnet/hostnet/hostnet/install"
	"github.com/hostnet/hostnet/hostnet/journal"
	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/plan"
	"github.com/hostnet/hostnet/hostnet/safe"
)

// The commands that make a plan permanent (install, uninstall) and the boot-time apply
// the installed unit runs (boot). The logic is in packages install and coexist.

func newInstallCmd() *cobra.Command {
	var flags hostFlags
	var root, execPath, stateDir string
	cmd := &cobra.Command{
		Use:   "install [PLAN]",
		Short: "Make a plan permanent: keep it in /etc/hostnet and apply it at every boot",
		Long: `Install copies the plan (and its --var-file files) to ` + install.PlanDir + ` and installs two systemd units:
` + install.BootUnit + ` applies the plan at boot, after udev has settled the NICs and before
network-online.target, libvirtd and virtnetworkd (a failing boot apply restores the state from
before it, says so in the journal, and 'hostnet status' shows it); ` + install.WatchUnit + ` runs
'hostnet watch' when the plan has a bond under a bridge. Both are enabled, none is started.

Before that it looks for NetworkManager, systemd-networkd and ifupdown configuration that
manages a NIC or link of the plan, reports each, and hands those to hostnet: a NetworkManager
drop-in (unmanaged-devices), networkd drop-ins (Unmanaged=yes, NICs matched by MAC), and no
auto/allow-hotplug line left for them in /etc/network/interfaces. 'hostnet uninstall' removes
all of it again. Install changes nothing in the running network.`,
		Example: `  hostnet install site/hv1.hcl
  hostnet install --var-file hv1.vars.hcl site/
  hostnet install --root /mnt/image --exec /usr/sbin/hostnet plan.hcl   # into an image`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			path := argOr(args, ".")
			if len(flags.vars) > 0 {
				return withCode(exitError, errors.New("--var values are not kept for the boot apply: put them in a file and use --var-file"))
			}
			p, err := loadForHost(cmd.ErrOrStderr(), path, &flags, nil)
			if err != nil {
				return err
			}
			l := install.Layout{Root: root}
			if execPath == "" {
				if execPath, err = os.Executable(); err == nil {
					execPath, err = filepath.EvalSymlinks(execPath)
				}
				if err != nil {
					return withCode(exitError, err)
				}
			}
			// A re-install starts from the distribution's own files.
			if m, err := install.Installed(l); err == nil {
				if err := coexist.Revert(root, coexist.Resolution{DropIns: m.DropIns, Edited: m.Edited}); err != nil {
					return withCode(exitError, err)
				}
			}
			targets := coexistTargets(p)
			conflicts, err := coexist.Detect(root, targets)
			if err != nil {
				return withCode(exitError, err)
			}
			res, err := coexist.Resolve(root, targets, conflicts)
			if err != nil {
				return withCode(exitError, fmt.Errorf("writing the coexistence drop-ins: %w", err))
			}
			printConflicts(out, conflicts)
			for _, f := range res.DropIns {
				fmt.Fprintf(out, "Wrote %s\n", f)
			}
			for _, f := range res.Edited {
				fmt.Fprintf(out, "Disabled the auto lines of the plan's interfaces in %s\n", f)
			}
			m, err := install.Install(install.Options{Layout: l, Plan: path, VarFiles: flags.varFiles, Exec: execPath,
				StateDir: stateDir, Watch: len(p.BondsUnderBridges()) > 0, DropIns: res.DropIns, Edited: res.Edited})
			if err != nil {
				coexist.Revert(root, *res)
				return withCode(exitError, fmt.Errorf("install: %w", err))
			}
			fmt.Fprintf(out, "Installed: the plan is in %s; enabled %s. It is applied at every boot; nothing was started.\n",
				install.PlanDir, filepath.Base(m.Units[0])+map[bool]string{true: " and " + install.WatchUnit, false: ""}[len(m.Units) > 1])
			for _, c := range conflicts {
				if !c.Resolvable {
					fmt.Fprintln(out, "Left for you:", c)
				}
			}
			return nil
		},
	}
	flags.register(cmd)
	cmd.Flags().StringVar(&root, "root", "/", "install into this directory tree instead of the running system")
	cmd.Flags().StringVar(&execPath, "exec", "", "path of hostnet the units run (default: this executable)")
	addStateDirFlag(cmd, &stateDir)
	return cmd
}

func newUninstallCmd() *cobra.Command {
	var root string
	cmd := &cobra.Command{
		Use:   "uninstall",
		Short: "Undo install: remove the units, the kept plan and the coexistence drop-ins",
		Long: `Uninstall removes what 'hostnet install' wrote, as its manifest lists it: the units and their
enablement links, ` + install.PlanDir + `, the NetworkManager and networkd drop-ins, and it puts
back the auto lines it disabled in /etc/network/interfaces. The running network is not changed
('hostnet destroy' does that).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l := install.Layout{Root: root}
			m, err := install.Installed(l)
			if errors.Is(err, os.ErrNotExist) {
				return withCode(exitError, fmt.Errorf("hostnet is not installed under %s", root))
			}
			if err != nil {
				return withCode(exitError, err)
			}
			if err := coexist.Revert(root, coexist.Resolution{DropIns: m.DropIns, Edited: m.Edited}); err != nil {
				return withCode(exitError, err)
			}
			if _, err := install.Uninstall(l); err != nil {
				return withCode(exitError, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Uninstalled: removed %d units, %s and %d drop-ins, reverted %d files. The running network is unchanged.\n",
				len(m.Units), install.PlanDir, len(m.DropIns), len(m.Edited))
			return nil
		},
	}
	cmd.Flags().StringVar(&root, "root", "/", "uninstall from this directory tree instead of the running system")
	return cmd
}

func newBootCmd() *cobra.Command {
	var flags hostFlags
	var stateDir string
	cmd := &cobra.Command{
		Use:   "boot [PLAN]",
		Short: "Apply the installed plan at boot (what " + install.BootUnit + " runs)",
		Long: `Boot applies the plan's kernel part without asking, as 'apply --auto-approve' does, and logs to
the journal with priorities: a failure restores the state from before it and is logged at
priority err. The outcome is recorded in the state directory, where 'hostnet status' shows
it. libvirtd starts after it and autostarts the plan's networks on the bridges it made.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := argOr(args, install.PlanDir)
			dir := safe.StateDir(stateDir)
			log := journal.NewLogger(cmd.ErrOrStderr(), journal.Stream())
			p, err := loadForHost(cmd.ErrOrStderr(), path, &flags, nil)
			if err != nil {
				install.FailInvalid(dir, path, err, log)
				return withCode(exitError, nil)
			}
			if _, err := install.Boot(context.Background(), netns.None(), dir, path, p, log); err != nil {
				return withCode(exitError, nil)
			}
			return nil
		},
	}
	flags.register(cmd)
	addStateDirFlag(cmd, &stateDir)
	return cmd
}

// coexistTargets are the plan's interfaces as the other network managers see them, NICs
// by their live names where the host has them.
func coexistTargets(p *plan.Plan) []coexist.Iface {
	s, err := live.Read(netns.None())
	if err != nil {
		s = nil
	}
	return coexist.Targets(p, s)
}

// printConflicts lists the other network managers' hold on the plan's interfaces.
func printConflicts(out io.Writer, cs []coexist.Conflict) {
	if len(cs) == 0 {
		return
	}
	fmt.Fprintf(out, "\nOther network managers configure interfaces of this plan (%d):\n", len(cs))
	for _, c := range cs {
		fmt.Fprintf(out, "  - %s\n", c)
	}
	fmt.Fprintln(out)
}

// planConflicts is what `plan` reports about other network managers (nil when none).
func planConflicts(p *plan.Plan) []coexist.Conflict {
	cs, _ := coexist.Detect("/", coexistTargets(p))
	return cs
}

// persistPlan runs after a successful apply: on a host where hostnet is installed the
// applied plan becomes the boot plan, at once, or with --confirm-within only once
// `hostnet confirm` runs (a reboot before that boots the previous plan).
func persistPlan(out io.Writer, sr *safeRun, path string, flags *hostFlags) error {
	l := install.Layout{}
	if _, err := install.Installed(l); err != nil {
		return nil
	}
	if len(flags.vars) > 0 {
		fmt.Fprintf(out, "The plan is not kept in %s: --var values are not kept for the boot apply (use --var-file).\n", install.PlanDir)
		return nil
	}
	if pd, err := safe.LoadPending(sr.dir); err == nil && sr.confirmWithin > 0 {
		if err := install.Stage(sr.dir, pd.ID, path, flags.varFiles); err != nil {
			return withCode(exitError, fmt.Errorf("keeping the plan for %s after confirm: %w", install.PlanDir, err))
		}
		fmt.Fprintf(out, "The plan replaces %s (the boot plan) when you confirm; a reboot before that boots the previous plan.\n", install.PlanDir)
		return nil
	}
	if err := install.Persist(l, path, flags.varFiles); err != nil {
		return withCode(exitError, fmt.Errorf("the plan is applied, but writing it to %s failed: %w", install.PlanDir, err))
	}
	fmt.Fprintf(out, "The plan is kept in %s: it is applied at every boot.\n", install.PlanDir)
	return nil
}

// A watchdog that confirms because its probes passed keeps the plan too.
func init() {
	safe.OnConfirm = func(dir, id string) error { return commitStaged(io.Discard, dir, id) }
}

// commitStaged runs after `hostnet confirm`: the confirmed apply's plan becomes the boot plan.
func commitStaged(out io.Writer, dir, id string) error {
	ok, err := install.CommitStaged(install.Layout{}, dir, id)
	if err != nil {
		return withCode(exitError, fmt.Errorf("confirmed, but writing the plan to %s failed: %w", install.PlanDir, err))
	}
	if ok {
		fmt.Fprintf(out, "The confirmed plan is kept in %s: it is applied at every boot.\n", install.PlanDir)
	}
	return nil
}

// printBootRecord adds this boot's apply to hostnet status.
func printBootRecord(out io.Writer, dir string) {
	if line := install.BootStatus(dir); line != "" {
		fmt.Fprintln(out, line)
	}
}
