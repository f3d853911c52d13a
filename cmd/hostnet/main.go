// Command hostnet provisions the network of a KVM hypervisor from an HCL host plan.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
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
	// exitInternal is a crash (a Go panic) or an internal error: never 2, which a script
	// reading --detailed-exitcode would take for "changes" (a Go runtime panic exits 2 on
	// its own).
	exitInternal = 3
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
--detailed-exitcode), 3 internal error (a crash: a bug in hostnet). With --json, validate,
plan, apply, destroy, status and rollback print
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
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		if nsName != "" {
			if err := enterNetns(nsName); err != nil {
				return err
			}
		}
		// After entering: the namespace has a key of its own.
		return loadMarkKey(cmd, args)
	}
	root.AddCommand(newValidateCmd(), newPlanCmd(), newApplyCmd(), newDestroyCmd(), newStatusCmd(), newWatchCmd(), newLabCmd(), newVersionCmd(), newImportCmd())
	root.AddCommand(newConfirmCmd(), newRollbackCmd(), newWatchdogCmd(), newDocsCmd())
	root.AddCommand(newInstallCmd(), newUninstallCmd(), newBootCmd())
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
	return runRoot(newRoot(), args, stdin, stdout, stderr)
}

// runRoot runs root; a panic anywhere in it is reported with its stack and exits
// exitInternal.
func runRoot(root *cobra.Command, args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "Internal error (a bug in hostnet, please report it with this output): %v\n%s", r, debug.Stack())
			code = exitInternal
		}
	}()
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

// marksRead are the commands that read ownership marks of live links: they load the key
// that signs them (see live.MarkFor).
var marksRead = map[string]bool{"plan": true, "apply": true, "destroy": true, "status": true, "watch": true, "boot": true, "import": true,
	"rollback": true, watchdogCmd: true}

// markKeyDir is the directory of the ownership-mark key: the default state directory of
// the network namespace the process runs in, whatever --state-dir says. The key belongs to
// the namespace's links, not to one state directory: an apply with --state-dir and a later
// status without it must agree on which links are hostnet's. A process in a namespace
// joined with --netns (and its watchdog, which inherits netnsenter.EnvPath) uses
// DefaultStateDir/netns/<name>.
func markKeyDir() (string, error) {
	path := os.Getenv(netnsenter.EnvPath)
	if path == "" {
		return safe.DefaultStateDir, nil
	}
	key := filepath.Base(path)
	if !strings.HasPrefix(path, "/run/netns/") {
		st, err := os.Stat(path)
		if err != nil {
			return "", err
		}
		key = fmt.Sprintf("inode-%d", st.Sys().(*syscall.Stat_t).Ino)
	}
	return filepath.Join(safe.DefaultStateDir, "netns", key), nil
}

// loadMarkKey loads the ownership-mark key (see markKeyDir).
func loadMarkKey(cmd *cobra.Command, _ []string) error {
	if !marksRead[cmd.Name()] {
		return nil
	}
	dir, err := markKeyDir()
	if err == nil {
		err = safe.UseMarkKey(dir)
	}
	if err != nil {
		return withCode(exitError, fmt.Errorf("%w; hostnet needs it to tell its own links from others' (run as root)", err))
	}
	return nil
}
