// Command hostnet provisions the network of a KVM hypervisor from an HCL host plan.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
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
	root.AddCommand(newValidateCmd(), newPlanCmd(), newApplyCmd(), newDestroyCmd(), newStatusCmd(), newWatchCmd(), newLabCmd(), newVersionCmd())
	root.AddCommand(newConfirmCmd(), newRollbackCmd(), newWatchdogCmd(), newDocsCmd())
	return root
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes the command line and returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
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
