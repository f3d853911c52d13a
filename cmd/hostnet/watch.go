package main

import (
	"context"
	"fmt"
	"log/slog"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/hostnet/hostnet/bridge/watch"
)

func newWatchCmd() *cobra.Command {
	var flags hostFlags
	var cfg watch.Config
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "watch [PLAN]",
		Short: "Re-announce guest MACs upstream when a bridged bond fails over",
		Long: `Watch runs until stopped (SIGINT or SIGTERM, so it suits a systemd service). It listens to
the kernel's link events and, when a bond of the plan that carries a bridge fails over or
fails back, sends one learning frame (RARP, as Open vSwitch does; a gratuitous ARP where the
IP is known) for every MAC the bridge learned on its other ports, per VLAN, and for the
bridge's own MAC, out of the bond's new active slave. The switch then moves those MACs at
once, instead of sending traffic for idle guests to the dead port until its MAC table ages
(measured in the lab: more than 10 s without watch, tens of milliseconds with it).

It sends nothing else, at a bounded rate, and logs one line per announcement to stderr.`,
		Example: `  hostnet watch /etc/hostnet/
  hostnet watch --json /etc/hostnet/ 2>>/var/log/hostnet-watch.log`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := loadForHost(cmd.ErrOrStderr(), argOr(args, "."), &flags, nil)
			if err != nil {
				return err
			}
			seen := map[string]bool{}
			for _, bg := range p.BondsUnderBridges() {
				if !seen[bg.Bond.Name] {
					seen[bg.Bond.Name] = true
					cfg.Bonds = append(cfg.Bonds, bg.Bond.Name)
				}
			}
			if len(cfg.Bonds) == 0 {
				return withCode(exitError, fmt.Errorf("the plan has no bond under a bridge: there are no guest MACs to re-announce"))
			}
			var h slog.Handler = slog.NewTextHandler(cmd.ErrOrStderr(), nil)
			if asJSON {
				h = slog.NewJSONHandler(cmd.ErrOrStderr(), nil)
			}
			cfg.Logger = slog.New(h)
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			cfg.Logger.Info("watching", "bonds", cfg.Bonds)
			if err := watch.Run(ctx, cfg); err != nil && ctx.Err() == nil {
				return withCode(exitError, err)
			}
			return nil
		},
	}
	flags.register(cmd)
	cmd.Flags().IntVar(&cfg.FramesPerMs, "rate", 10, "at most this many frames per millisecond")
	cmd.Flags().IntVar(&cfg.MaxFrames, "max-frames", 16384, "at most this many frames per announcement")
	cmd.Flags().DurationVar(&cfg.Holdoff, "holdoff", 0, "merge triggers for the same failover within this time (default 200ms)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "log as JSON lines")
	return cmd
}
