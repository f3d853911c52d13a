package main

import (
	"context"
	"fmt"
	"log/slog"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/hostnet/hostnet/bridge/guestvlan"
	"github.com/hostnet/hostnet/bridge/watch"
	"github.com/hostnet/hostnet/hostnet/journal"
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

On a VLAN-aware bridge it also puts each libvirt guest into the VLAN of its portgroup
(libvirt_network portgroup vlan/trunk) the moment the guest's port joins the bridge, and
again whenever the port's VLANs are set otherwise (after a restore, for one): libvirt before
11.0 tags only Open vSwitch ports. The domain is found by its interface's target device.

It sends nothing else, at a bounded rate, and logs one line per announcement or guest port
to stderr.`,
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
			nets := guestvlan.FromPlan(p)
			if len(cfg.Bonds) == 0 && len(nets) == 0 {
				return withCode(exitError, fmt.Errorf("the plan has no bond under a bridge and no libvirt portgroup with a VLAN: there is nothing to watch"))
			}
			var h slog.Handler = slog.NewTextHandler(cmd.ErrOrStderr(), nil)
			if asJSON {
				h = slog.NewJSONHandler(cmd.ErrOrStderr(), nil)
			}
			cfg.Logger = slog.New(h)
			if !asJSON && journal.Stream() { // under systemd: priorities for journald
				cfg.Logger = journal.NewLogger(cmd.ErrOrStderr(), true)
			}
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			cfg.Logger.Info("watching", "bonds", cfg.Bonds, "guest_vlan_networks", len(nets))
			// Both run until ctx ends; the first error stops the other.
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			errs := make(chan error, 2)
			running := 0
			if len(cfg.Bonds) > 0 {
				running++
				go func() { errs <- watch.Run(ctx, cfg) }()
			}
			if len(nets) > 0 {
				tg, err := guestvlan.New(guestvlan.Config{Networks: nets, Logger: cfg.Logger})
				if err != nil {
					return withCode(exitError, err)
				}
				running++
				go func() { errs <- tg.Run(ctx) }()
			}
			var first error
			for ; running > 0; running-- {
				if err := <-errs; err != nil && first == nil && ctx.Err() == nil {
					first = err
				}
				cancel()
			}
			if first != nil {
				return withCode(exitError, first)
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
