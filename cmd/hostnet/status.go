package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/hostnet/hostnet/hostnet/engine"
	"github.com/hostnet/hostnet/hostnet/install"
	"github.com/hostnet/hostnet/hostnet/jsonout"
	"github.com/hostnet/hostnet/hostnet/plan"
	"github.com/hostnet/hostnet/hostnet/safe"
	"github.com/hostnet/hostnet/hostnet/status"
)

func newStatusCmd() *cobra.Command {
	var flags hostFlags
	var planPath string
	var asJSON bool
	var stateDir string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the live bonds, bridges and VLANs, and drift from a plan",
		Long: `Status reads the live kernel state and shows each bond (mode, active slave, link
monitoring, and per slave its MII state, role, speed and link failure count), the bridges with
their ports, and the VLANs. With --plan it also lists the plan objects that differ from the
kernel (drift), and an apply --confirm-within that waits for 'hostnet confirm'. Status
changes nothing.`,
		Example: `  hostnet status
  hostnet status --plan /etc/hostnet/
  hostnet status --json | jq '.status.bonds[] | {name, active_slave}'`,
		Args: cobra.NoArgs,
		RunE: jsonRunE("status", &asJSON, func(cmd *cobra.Command, _ []string, doc *jsonout.Document) error {
			var p *plan.Plan
			if planPath != "" {
				var err error
				if p, err = loadForHost(cmd.ErrOrStderr(), planPath, &flags, doc); err != nil {
					return err
				}
			}
			s, err := readLive(p)
			if err != nil {
				return withCode(exitError, err)
			}
			var drift *engine.Changes
			if p != nil {
				if drift, err = engine.Diff(p, s); err != nil {
					return withCode(exitError, err)
				}
			}
			pending, _ := safe.LoadPending(safe.StateDir(stateDir))
			boot, bootErr := install.LoadBootRecord(safe.StateDir(stateDir))
			restored, restoredErr := safe.LoadRestoreRecord(safe.StateDir(stateDir))
			r := status.Build(s, drift)
			if doc != nil {
				doc.Status = jsonout.StatusOf(r, pending)
				doc.Status.BootApply = jsonout.BootApplyOf(boot, bootErr)
				doc.Status.LastRestore = jsonout.LastRestoreOf(restored, restoredErr)
				return nil
			}
			if pending != nil {
				fmt.Fprintf(cmd.OutOrStdout(), "Confirmation pending: %s.\n", pending.Describe())
			}
			switch {
			case restored != nil:
				fmt.Fprintf(cmd.OutOrStdout(), "Last restore: %s.\n", restored.Describe())
			case restoredErr != nil && !errors.Is(restoredErr, os.ErrNotExist):
				fmt.Fprintf(cmd.OutOrStdout(), "Last restore: unknown: %v\n", restoredErr)
			}
			printBootRecord(cmd.OutOrStdout(), stateDir)
			return status.WriteText(cmd.OutOrStdout(), r)
		}),
	}
	flags.register(cmd)
	cmd.Flags().StringVar(&planPath, "plan", "", "compare with this plan and list the drift")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the status as one JSON document on stdout, errors included (docs/json.md)")
	addStateDirFlag(cmd, &stateDir)
	return cmd
}
