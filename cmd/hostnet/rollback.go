package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/vishvananda/netns"

	"github.com/hostnet/hostnet/hostnet/safe"
)

func newRollbackCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "rollback",
		Short: "Restore the state from before an unconfirmed or interrupted apply, now",
		Long: `Rollback restores the snapshot in the state directory at once: the one an apply
--confirm-within keeps until it is confirmed, or the one an apply that died (kill -9, lost
power in the middle) left behind. Links the apply created are deleted, links it deleted are
created again with their options, slaves and ports go back to their masters, and MTU, state,
addresses and routes are put back. A pending confirmation is cancelled. Exit 1 when there is
no snapshot or the restore is incomplete (the differences are listed).`,
		Example: `  hostnet rollback
  hostnet rollback --state-dir /var/lib/hostnet`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir = safe.StateDir(dir)
			lock, err := safe.Acquire(dir, "rollback")
			if err != nil {
				return withCode(exitError, err)
			}
			defer lock.Release()
			snap, rep, err := safe.Rollback(context.Background(), netns.None(), dir)
			if err != nil {
				return withCode(exitError, fmt.Errorf("rollback: %w", err))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Rolled back to the state before %s (%s).\n", describeSnapshot(snap), rep)
			return nil
		},
	}
	addStateDirFlag(cmd, &dir)
	return cmd
}
