package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/hostnet/hostnet/examples"
	"github.com/hostnet/hostnet/hostnet/diag"
	"github.com/hostnet/hostnet/hostnet/lab"
	"github.com/hostnet/hostnet/hostnet/lab/demo"
	"github.com/hostnet/hostnet/hostnet/plan"
)

func newLabCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lab",
		Short: "Run plans inside a throwaway real kernel (user-mode Linux)",
		Long: `The lab boots a user-mode Linux kernel (Debian package user-mode-linux: real bonding,
802.1q and bridge code) over a read-only view of this machine's files, with a throwaway
overlay for writes. Inside it, network namespaces stand in for the upstream switch, a remote
host and a guest, and veth pairs for the plan's NICs, with the plan's MAC addresses. Nothing
of the host's own network is touched.`,
	}
	cmd.AddCommand(newLabDemoCmd(), newLabBenchCmd())
	return cmd
}

func newLabDemoCmd() *cobra.Command {
	var flags planFlags
	var inside, showProgress, verbose bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "demo [PLAN]",
		Short: "Show plan, apply, status and a failover of a plan on a real kernel",
		Long: `Demo boots the lab, builds the plan's NICs and a switch (a static LAG or an LACP
partner when the plan's switch block says so), a remote host and a guest, then runs
plan -> apply -> status -> pulls the cable of the active slave under traffic and shows the
failover -> re-plan (no changes) -> destroy. Without PLAN it uses the built-in example
kvm-active-backup.`,
		Example: `  hostnet lab demo
  hostnet lab demo examples/kvm-lacp-500-vlans`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if inside {
				opts := demo.Options{Verbose: verbose}
				if showProgress {
					// The lab's output is a file streamed to the terminal outside (the outer
					// hostnet decided that it is one). Progress goes with the demo's own
					// output, on stdout: stdout and stderr are streamed separately, and a
					// line cleared on one could land after the next line on the other.
					prog := &progress{w: cmd.OutOrStdout(), on: true}
					opts.Progress = func(what string, done, total int, detail string) { prog.steps(what, done, total, detail) }
					opts.ProgressDone = prog.done
				}
				return runDemoInside(cmd, args, &flags, opts)
			}
			if err := lab.Available(); err != nil {
				return withCode(exitError, err)
			}
			self, err := os.Executable()
			if err != nil {
				return withCode(exitError, err)
			}
			argv := []string{self, "lab", "demo", "--inside"}
			prog := newProgress(cmd.ErrOrStderr(), false)
			if prog.on && isTerminal(cmd.OutOrStdout()) {
				argv = append(argv, "--progress")
			}
			if verbose {
				argv = append(argv, "--verbose")
			}
			for _, v := range flags.vars {
				argv = append(argv, "--var", v)
			}
			for _, f := range flags.varFiles {
				abs, _ := filepath.Abs(f)
				argv = append(argv, "--var-file", abs)
			}
			if len(args) == 1 {
				abs, err := filepath.Abs(args[0])
				if err != nil {
					return withCode(exitError, err)
				}
				argv = append(argv, abs)
			}
			// Booting takes seconds and prints nothing: a clock runs until the lab's
			// first output.
			prog.wait("booting the lab: a user-mode Linux kernel")
			first := &firstWrite{do: prog.done}
			res, err := lab.Run(context.Background(), lab.Options{
				Timeout: timeout, Stdout: first.wrap(cmd.OutOrStdout()), Stderr: first.wrap(cmd.ErrOrStderr()),
			}, argv)
			prog.done()
			if err != nil {
				return withCode(exitError, fmt.Errorf("the lab failed: %w", err))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "\n(lab run took %s, boot and halt included)\n", res.Duration.Round(time.Millisecond))
			if res.ExitCode != 0 {
				return withCode(exitError, fmt.Errorf("the demo failed inside the lab (exit %d)", res.ExitCode))
			}
			return nil
		},
	}
	flags.register(cmd)
	cmd.Flags().BoolVar(&inside, "inside", false, "run the demo in this kernel (used inside the lab)")
	_ = cmd.Flags().MarkHidden("inside")
	cmd.Flags().BoolVar(&showProgress, "progress", false, "show progress lines (used inside the lab)")
	_ = cmd.Flags().MarkHidden("progress")
	cmd.Flags().BoolVar(&verbose, "verbose", false, "show every object of the plans; by default for_each instances are grouped")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "stop the lab after this long")
	return cmd
}

// firstWrite runs do once, before the first write to any writer it wraps.
type firstWrite struct {
	once sync.Once
	do   func()
}

func (f *firstWrite) wrap(w io.Writer) io.Writer {
	return writerFunc(func(b []byte) (int, error) {
		f.once.Do(f.do)
		return w.Write(b)
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

func runDemoInside(cmd *cobra.Command, args []string, flags *planFlags, opts demo.Options) error {
	var p *plan.Plan
	var files map[string]*hcl.File
	var diags hcl.Diagnostics
	if len(args) == 1 {
		p, files, diags = loadAndValidate(args[0], flags.options())
	} else {
		var varFiles []plan.Input
		for _, f := range flags.varFiles {
			b, err := os.ReadFile(f)
			if err != nil {
				return withCode(exitError, err)
			}
			varFiles = append(varFiles, plan.Input{Name: f, Bytes: b})
		}
		p, files, diags = validated(plan.DecodeWithFiles(examples.Demo(), varFiles, flags.vars))
	}
	if len(diags) > 0 {
		_ = diag.WriteText(cmd.ErrOrStderr(), files, diags, 100)
	}
	if p == nil {
		return withCode(exitError, fmt.Errorf("the plan is invalid: %s", diag.Summary(diags)))
	}
	if err := demo.Run(cmd.OutOrStdout(), p, opts); err != nil {
		return withCode(exitError, err)
	}
	return nil
}
