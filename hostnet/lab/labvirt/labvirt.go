// Package labvirt starts a real libvirtd inside the lab kernel, with empty state: its
// state directories are covered with tmpfs, so it sees none of the machine's networks or
// domains (not even the package's "default" network) and leaves nothing behind. Tests of
// libvirt networks and the lab demo use it. It refuses to run outside the lab.
package labvirt

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"libvirt.org/go/libvirt"

	"github.com/hostnet/hostnet/hostnet/lab"
)

// URI is the connection to the lab's libvirtd.
const URI = "qemu:///system"

// Log is libvirtd's output inside the lab, shown when it fails to start.
const Log = "/run/hostnet-libvirtd.log"

// stateDirs are covered with tmpfs so that libvirtd starts empty.
var stateDirs = []string{"/var/lib/libvirt", "/var/log/libvirt", "/var/cache/libvirt", "/etc/libvirt/qemu", "/etc/libvirt/lxc", "/run/libvirt"}

// Start starts libvirtd and waits until it answers on URI. stop ends it (SIGTERM, then
// SIGKILL after 10 s).
func Start() (stop func(), err error) {
	if !lab.Inside() {
		return nil, errors.New("labvirt: refusing to start libvirtd outside the lab")
	}
	for _, d := range stateDirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
		if err := syscall.Mount("tmpfs", d, "tmpfs", 0, "mode=0755"); err != nil {
			return nil, fmt.Errorf("labvirt: tmpfs on %s: %w", d, err)
		}
	}
	log, err := os.Create(Log)
	if err != nil {
		return nil, err
	}
	defer log.Close()
	cmd := exec.Command("/usr/sbin/libvirtd")
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("labvirt: start libvirtd: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop = func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-exited:
			b, _ := os.ReadFile(Log)
			return nil, fmt.Errorf("labvirt: libvirtd exited (%v):\n%s", err, b)
		default:
		}
		if _, err := os.Stat("/run/libvirt/libvirt-sock"); err == nil {
			if c, err := libvirt.NewConnect(URI); err == nil {
				c.Close()
				return stop, nil
			}
		}
		if time.Now().After(deadline) {
			stop()
			b, _ := os.ReadFile(Log)
			return nil, fmt.Errorf("labvirt: libvirtd did not answer within 60s:\n%s", b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Ensure starts libvirtd unless one already answers on URI (a test's TestMain may have
// started it); stop ends only a daemon Ensure started.
func Ensure() (stop func(), err error) {
	if !lab.Inside() {
		return nil, errors.New("labvirt: refusing to start libvirtd outside the lab")
	}
	if c, err := libvirt.NewConnect(URI); err == nil {
		c.Close()
		return func() {}, nil
	}
	return Start()
}

// RunTestMain is lab.RunTestMain for packages whose tests need libvirtd: outside the lab
// it re-runs the test binary inside; inside it starts libvirtd around the tests.
func RunTestMain(m *testing.M) {
	if !lab.Inside() {
		lab.RunTestMain(m) // re-runs this binary inside the lab; never returns
		return
	}
	stop, err := Start()
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
		os.Exit(1)
	}
	code := m.Run()
	stop()
	os.Exit(code)
}
