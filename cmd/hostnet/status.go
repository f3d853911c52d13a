package main

import (
	"github.com/spf13/cobra"

	"github.com/hostnet/hostnet/hostnet/diag"
	"github.com/hostnet/hostnet/hostnet/engine"
	"github.com/hostnet/hostnet/hostnet/plan"
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
kernel (drift). Status changes nothing.`,
		Example: `  hostnet status
  hostnet status --plan /etc/hostnet/
  hostnet status --json | jq '.bonds[] | {name, active_slave}'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var p *plan.Plan
			if planPath != "" {
				var err error
				if p, err = loadForHost(cmd.ErrOrStderr(), planPath, &flags); err != nil {
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
			printPending(cmd, stateDir, asJSON)
			printBootRecord(cmd, stateDir, asJSON)
			r := status.Build(s, drift)
			if asJSON {
				return diag.WriteJSON(cmd.OutOrStdout(), r)
			}
			return status.WriteText(cmd.OutOrStdout(), r)
		},
	}
	flags.register(cmd)
	cmd.Flags().StringVar(&planPath, "plan", "", "compare with this plan and list the drift")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the status as JSON")
	addStateDirFlag(cmd, &stateDir)
	return cmd
}
