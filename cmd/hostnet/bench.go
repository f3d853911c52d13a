package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/hostnet/hostnet/hostnet/lab"
	"github.com/hostnet/hostnet/hostnet/lab/bench"
)

func newLabBenchCmd() *cobra.Command {
	var (
		ns, ifupNs        []int
		reps, ifupReps    int
		largeN, largeReps int
		ifupDeb, ifupRoot string
		ifupSkip          string
		noProcess, noIfup bool
		jsonOut, resultIn string
		inside            bool
		timeout           time.Duration
		mem               string
		layout            string
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure apply, no-op re-apply and destroy at scale against ip -batch and ifupdown2",
		Long: `Bench boots the lab and measures, for bond0 (active-backup over two NICs) + br0 + N VLANs
on bond0 each with its own bridge: a fresh apply, a no-op re-apply and a destroy by hostnet
(in-process, step by step as hostnet apply --auto-approve runs them, and as a separate
process), against a raw 'ip -batch' file of the same topology and, for the --ifupdown2 Ns,
ifupdown2 with an interfaces file; every measurement --reps times in one lab boot. It prints
Markdown tables: median (min-max), and the ratios measured back to back in the same kernel.

ifupdown2 is not installed on the host: bench runs 'apt-get download ifupdown2' and
'dpkg -x' into a temp dir (or takes --ifupdown2-deb), and the lab copies that tree into its
throwaway root.`,
		Example: `  hostnet lab bench
  hostnet lab bench --layout vlan-aware --n 4094 --reps 3
  hostnet lab bench --n 10,100 --reps 1 --no-ifupdown2`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if noIfup {
				ifupNs = nil
			}
			if layout != "" && layout != bench.LayoutVLANAware {
				return withCode(exitError, fmt.Errorf("--layout %q: want \"\" or %q", layout, bench.LayoutVLANAware))
			}
			cfg := bench.Config{Layout: layout, Ns: ns, Reps: reps, LargeN: largeN, LargeReps: largeReps, Ifupdown2Ns: ifupNs, Ifupdown2Reps: ifupReps, Ifupdown2Root: ifupRoot, Log: cmd.ErrOrStderr()}
			if inside {
				if !noProcess {
					self, err := os.Executable()
					if err != nil {
						return withCode(exitError, err)
					}
					cfg.HostnetBinary = self
				}
				save := func(res *bench.Results) error {
					if ifupSkip != "" {
						res.Ifupdown2 = ifupSkip
					}
					if resultIn == "" {
						return nil
					}
					b, _ := json.MarshalIndent(res, "", "  ")
					return os.WriteFile(resultIn, b, 0o644)
				}
				bench.Progress = cmd.ErrOrStderr()
				cfg.Partial = func(res *bench.Results) { _ = save(res) }
				res, err := bench.Run(context.Background(), cfg)
				if res != nil {
					if werr := save(res); werr != nil && err == nil {
						err = werr
					}
				}
				if err != nil {
					return withCode(exitError, err)
				}
				return nil
			}
			return runBenchOutside(cmd, cfg, benchArgs{ifupDeb: ifupDeb, noProcess: noProcess, jsonOut: jsonOut, timeout: timeout, mem: mem})
		},
	}
	f := cmd.Flags()
	f.IntSliceVar(&ns, "n", []int{10, 100, 500, 4094}, "VLAN counts to measure")
	f.IntVar(&reps, "reps", 3, "repetitions of every measurement per N")
	f.StringVar(&layout, "layout", "", `the topology: "" (a VLAN device and a bridge per VLAN) or "vlan-aware" (one VLAN-aware bridge, the VLANs as VIDs of the bond port)`)
	f.IntVar(&largeN, "large-n", 500, "Ns above this get --large-reps repetitions")
	f.IntVar(&largeReps, "large-reps", 1, "repetitions for the Ns above --large-n (0: --reps)")
	f.IntSliceVar(&ifupNs, "ifupdown2", []int{10, 100}, "VLAN counts to run ifupdown2 for (slow: about 0.5 s per VLAN and command in the lab)")
	f.BoolVar(&noIfup, "no-ifupdown2", false, "do not run ifupdown2")
	f.IntVar(&ifupReps, "ifupdown2-reps", 0, "repetitions of the ifupdown2 runs (default --reps)")
	f.StringVar(&ifupDeb, "ifupdown2-deb", "", "the ifupdown2 .deb to use (default: apt-get download ifupdown2)")
	f.BoolVar(&noProcess, "no-process", false, "skip the measurements of hostnet as a separate process")
	f.StringVar(&jsonOut, "json", "", "also write every sample as JSON to this file")
	f.DurationVar(&timeout, "timeout", 90*time.Minute, "stop the lab after this long")
	f.StringVar(&mem, "mem", "1G", "the lab kernel's memory")
	f.BoolVar(&inside, "inside", false, "run in this kernel (used inside the lab)")
	f.StringVar(&ifupRoot, "ifupdown2-root", "", "an unpacked ifupdown2 (used inside the lab)")
	f.StringVar(&ifupSkip, "ifupdown2-skip", "", "why ifupdown2 does not run (used inside the lab)")
	f.StringVar(&resultIn, "result", "", "write the results here (used inside the lab)")
	for _, h := range []string{"inside", "ifupdown2-root", "ifupdown2-skip", "result"} {
		_ = f.MarkHidden(h)
	}
	return cmd
}

type benchArgs struct {
	ifupDeb   string
	noProcess bool
	jsonOut   string
	timeout   time.Duration
	mem       string
}

func runBenchOutside(cmd *cobra.Command, cfg bench.Config, a benchArgs) error {
	out, errw := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if err := lab.Available(); err != nil {
		return withCode(exitError, err)
	}
	self, err := os.Executable()
	if err != nil {
		return withCode(exitError, err)
	}
	tmp, err := os.MkdirTemp("", "hostnet-bench-")
	if err != nil {
		return withCode(exitError, err)
	}
	defer os.RemoveAll(tmp)
	if tmp, err = filepath.EvalSymlinks(tmp); err != nil {
		return withCode(exitError, err)
	}
	argv := []string{self, "lab", "bench", "--inside", "--result", filepath.Join(tmp, "result.json"),
		"--reps", fmt.Sprint(cfg.Reps), "--ifupdown2-reps", fmt.Sprint(cfg.Ifupdown2Reps),
		"--large-n", fmt.Sprint(cfg.LargeN), "--large-reps", fmt.Sprint(cfg.LargeReps)}
	argv = append(argv, intsFlag("--n", cfg.Ns)...)
	if cfg.Layout != "" {
		argv = append(argv, "--layout", cfg.Layout)
	}
	if a.noProcess {
		argv = append(argv, "--no-process")
	}
	if len(cfg.Ifupdown2Ns) == 0 {
		argv = append(argv, "--no-ifupdown2")
	} else if root, err := unpackIfupdown2(tmp, a.ifupDeb, errw); err != nil {
		fmt.Fprintf(errw, "bench: ifupdown2 will not run: %v\n", err)
		argv = append(argv, "--no-ifupdown2", "--ifupdown2-skip", err.Error())
	} else {
		argv = append(argv, intsFlag("--ifupdown2", cfg.Ifupdown2Ns)...)
		argv = append(argv, "--ifupdown2-root", root)
	}
	prog := newProgress(errw, false)
	prog.wait("booting the lab: a user-mode Linux kernel")
	first := &firstWrite{do: prog.done}
	res, err := lab.Run(context.Background(), lab.Options{
		Mem: a.mem, Timeout: a.timeout, Stdout: first.wrap(out), Stderr: first.wrap(errw), Writable: []string{tmp},
		Env: map[string]string{"HOSTNET_BENCH_HOST_CPUS": fmt.Sprint(runtime.NumCPU())},
	}, argv)
	prog.done()
	var results bench.Results
	b, rerr := os.ReadFile(filepath.Join(tmp, "result.json"))
	if rerr == nil {
		rerr = json.Unmarshal(b, &results)
	}
	if rerr == nil {
		fmt.Fprintln(out)
		results.Markdown(out)
		fmt.Fprintf(out, "\n(lab run took %s, boot and halt included)\n", res.Duration.Round(time.Second))
		if a.jsonOut != "" {
			if err := os.WriteFile(a.jsonOut, b, 0o644); err != nil {
				return withCode(exitError, err)
			}
		}
	}
	if err != nil { // the figures of the Ns that finished are printed above
		return withCode(exitError, fmt.Errorf("the lab failed: %w", err))
	}
	if res.ExitCode != 0 {
		return withCode(exitError, fmt.Errorf("the benchmark failed inside the lab (exit %d)", res.ExitCode))
	}
	if rerr != nil {
		return withCode(exitError, fmt.Errorf("reading the results: %w", rerr))
	}
	return nil
}

func intsFlag(name string, xs []int) []string {
	s := ""
	for i, x := range xs {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprint(x)
	}
	return []string{name, s}
}

// unpackIfupdown2 unpacks the ifupdown2 package into dir/ifupdown2 (dpkg -x: no maintainer
// scripts, nothing installed on the host), downloading it first when deb is "".
func unpackIfupdown2(dir, deb string, log io.Writer) (string, error) {
	if deb == "" {
		dl := filepath.Join(dir, "deb")
		if err := os.Mkdir(dl, 0o755); err != nil {
			return "", err
		}
		c := exec.Command("apt-get", "download", "ifupdown2")
		c.Dir = dl
		if b, err := c.CombinedOutput(); err != nil {
			return "", fmt.Errorf("apt-get download ifupdown2: %v: %s", err, b)
		}
		debs, _ := filepath.Glob(filepath.Join(dl, "ifupdown2_*.deb"))
		if len(debs) == 0 {
			return "", fmt.Errorf("apt-get download ifupdown2 left no .deb in %s", dl)
		}
		deb = debs[0]
	}
	root := filepath.Join(dir, "ifupdown2")
	if b, err := exec.Command("dpkg", "-x", deb, root).CombinedOutput(); err != nil {
		return "", fmt.Errorf("dpkg -x %s: %v: %s", deb, err, b)
	}
	fmt.Fprintf(log, "bench: ifupdown2 from %s\n", filepath.Base(deb))
	return root, nil
}
