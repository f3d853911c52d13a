// Package netnsenter moves the whole hostnet process into a named network namespace, the
// way `ip netns exec` does, for `hostnet --netns NAME`.
//
// A network namespace belongs to an OS thread, and a Go program has many threads before
// main runs, so a setns from Go would move one thread only: netlink sockets, /proc/sys
// files, probe sockets and the dead-man watchdog (a child process) would see different
// namespaces depending on the thread. Instead Enter re-executes the binary with
// EnvPath set, and a C constructor (enter.c) joins the namespace before the Go runtime
// starts its threads, so every thread and every child is in it. The constructor also gives
// the process a mount namespace of its own with /sys remounted, so sysfs shows the
// namespace's devices, as `ip netns exec` does. The host's mounts are not changed.
package netnsenter

/*
#include <stdlib.h>
extern int hostnet_netns_errno;
extern const char *hostnet_netns_step;
extern const char *hostnet_netns_entered;
*/
import "C"

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// EnvPath names the namespace file the constructor joins. It stays set, so children (the
// dead-man watchdog) join the same namespace even when they are started without --netns.
const EnvPath = "HOSTNET_NETNS_PATH"

// RunDir is where `ip netns add` and hostnet look for named namespaces.
const RunDir = "/run/netns"

// Path returns the namespace file for name: a name under RunDir, or an absolute path
// (/proc/PID/ns/net). Names that could leave RunDir are refused.
func Path(name string) (string, error) {
	if strings.HasPrefix(name, "/") {
		return filepath.Clean(name), nil
	}
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") || len(name) > 255 {
		return "", fmt.Errorf("--netns %q: want a name under %s (as `ip netns list` shows) or an absolute path", name, RunDir)
	}
	return filepath.Join(RunDir, name), nil
}

// Entered returns the namespace file the constructor joined at start, or "" when the
// process runs in the namespace it was started in. A failed join is an error.
func Entered() (string, error) {
	if C.hostnet_netns_errno != 0 {
		return "", fmt.Errorf("cannot enter network namespace %s: %s: %w",
			os.Getenv(EnvPath), C.GoString(C.hostnet_netns_step), syscall.Errno(C.hostnet_netns_errno))
	}
	if C.hostnet_netns_entered == nil {
		return "", nil
	}
	return C.GoString(C.hostnet_netns_entered), nil
}

// Enter makes the process run in the namespace of name. When the constructor already
// joined it, Enter returns nil; otherwise it re-executes the binary (same pid, arguments,
// standard streams) with EnvPath set, and returns only on error.
func Enter(name string) error {
	path, err := Path(name)
	if err != nil {
		return err
	}
	entered, err := Entered()
	if err != nil {
		return err
	}
	if entered == path {
		return nil
	}
	if entered != "" {
		return fmt.Errorf("--netns %s: this process already runs in %s", name, entered)
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("--netns %s: %w", name, err)
	}
	env := append(withoutEnv(os.Environ(), EnvPath), EnvPath+"="+path)
	err = syscall.Exec("/proc/self/exe", os.Args, env)
	return fmt.Errorf("--netns %s: re-executing hostnet: %w", name, err)
}

func withoutEnv(env []string, key string) []string {
	out := env[:0:0]
	for _, e := range env {
		if !strings.HasPrefix(e, key+"=") {
			out = append(out, e)
		}
	}
	return out
}
