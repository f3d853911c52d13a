package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/vishvananda/netns"

	"github.com/hostnet/hostnet/hostnet/jsonout"
	"github.com/hostnet/hostnet/hostnet/safe"
)

func newRollbackCmd() *cobra.Command {
	var dir string
	var asJSON bool
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
		RunE: jsonRunE("rollback", &asJSON, func(cmd *cobra.Command, _ []string, doc *jsonout.Document) error {
			dir = safe.StateDir(dir)
			lock, err := safe.Acquire(dir, "rollback")
			if err != nil {
				return withKind(jsonout.ErrLocked, err)
			}
			defer lock.Release()
			snap, rep, err := safe.Rollback(context.Background(), netns.None(), dir, safe.TriggerRollback, "")
			if doc != nil && (snap != nil || rep != nil) {
				doc.Rollback = jsonout.RollbackOf(snap, rep)
			}
			if err != nil {
				return withKind(jsonout.ErrApply, fmt.Errorf("rollback: %w", err))
			}
			if doc == nil {
				fmt.Fprintf(cmd.OutOrStdout(), "Rolled back to the state before %s (%s).\n", describeSnapshot(snap), rep)
			}
			return nil
		}),
	}
	addStateDirFlag(cmd, &dir)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print what was restored as one JSON document on stdout, errors included (docs/json.md)")
	return cmd
}
