// Command hostnet provisions the network of a KVM hypervisor from an HCL host plan.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/hostnet/hostnet/hostnet/netnsenter"
	"github.com/hostnet/hostnet/hostnet/safe"
)

// Exit codes are stable: scripts and Ansible rely on them (docs/json.md).
const (
	exitOK      = 0
	exitError   = 1 // invalid plan, failed apply, bad usage
	exitChanges = 2 // --detailed-exitcode: plan has changes pending, apply/destroy changed something
)

// exitCodeError carries an exit code (and, for --json, the error's kind) through cobra's
// error return.
type exitCodeError struct {
	code int
	err  error
	kind string
}

func (e *exitCodeError) Error() string { return e.err.Error() }

// withCode makes a command return the given exit code; a nil err means the message was
// already printed (diagnostics) and only the code matters.
func withCode(code int, err error) error {
	if err == nil {
		err = errors.New("")
	}
	return &exitCodeError{code: code, err: err}
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "hostnet",
		Short: "Provision a KVM hypervisor's network from a host plan",
		Long: `hostnet provisions the network of a KVM hypervisor: NICs matched by MAC address,
bonds (all 7 modes, every kernel option), bridges, VLANs, addresses, routes and the libvirt
networks guests attach to. It validates a host plan written in HCL against what the kernel
and the upstream switch really do, plans the changes against the live kernel, and applies
them in order.

Exit codes: 0 success, 1 error, 2 changes (plan, apply and destroy with
--detailed-exitcode). With --json, validate, plan, apply, destroy, status and rollback print
one JSON document on stdout, errors included (docs/json.md).`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       readBuildInfo().short(),
	}
	root.SetVersionTemplate("hostnet {{.Version}}\n")
	var nsName string
	root.PersistentFlags().StringVar(&nsName, "netns", "",
		"run in the named network namespace (as `ip netns exec NAME` would; /run/netns/NAME or an absolute path); the state directory defaults to "+
			safe.DefaultStateDir+"/netns/NAME")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if nsName == "" {
			return nil
		}
		return enterNetns(nsName)
	}
	root.AddCommand(newValidateCmd(), newPlanCmd(), newApplyCmd(), newDestroyCmd(), newStatusCmd(), newWatchCmd(), newLabCmd(), newVersionCmd())
	root.AddCommand(newConfirmCmd(), newRollbackCmd(), newWatchdogCmd(), newDocsCmd())
	return root
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes the command line and returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// A process started with netnsenter.EnvPath (by --netns, or a watchdog started by such a
	// process) must not go on in the wrong namespace when joining it failed.
	if _, err := netnsenter.Entered(); err != nil {
		fmt.Fprintln(stderr, "Error:", err)
		return exitError
	}
	root := newRoot()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var ce *exitCodeError
	if errors.As(err, &ce) {
		if msg := ce.err.Error(); msg != "" {
			fmt.Fprintln(stderr, "Error:", msg)
		}
		return ce.code
	}
	if usageJSON(args, stdout, err) {
		return exitError
	}
	fmt.Fprintln(stderr, "Error:", err)
	return exitError
}

// enterNetns moves the process into network namespace name (re-executing it there; see
// package netnsenter) and gives it a state directory of that namespace's own, since the
// lock, snapshot and dead-man timer belong to one kernel network stack.
func enterNetns(name string) error {
	if err := netnsenter.Enter(name); err != nil {
		return withCode(exitError, err)
	}
	if os.Getenv(safe.EnvStateDir) == "" {
		key := filepath.Base(name)
		if strings.HasPrefix(name, "/") {
			// /proc/PID/ns/net: the inode names the namespace for as long as it lives.
			st, err := os.Stat(name)
			if err != nil {
				return withCode(exitError, err)
			}
			key = fmt.Sprintf("inode-%d", st.Sys().(*syscall.Stat_t).Ino)
		}
		os.Setenv(safe.EnvStateDir, filepath.Join(safe.DefaultStateDir, "netns", key))
	}
	return nil
}
