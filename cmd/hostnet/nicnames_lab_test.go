//go:build lab

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netns"

	"github.com/hostnet/hostnet/hostnet/engine"
	"github.com/hostnet/hostnet/hostnet/lab/topo"
	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/safe"
)

// kernelNamesPlan is the case: NICs found by MAC whose kernel names (eno1,
// enp1s0f0, enp1s0f1 in the lab) differ from their labels, and every place a plan names a
// NIC: primary, active_slave, slave blocks, a bridge port, an FDB entry's port, a route's
// dev and a NIC's own address.
const kernelNamesPlan = `nic "uplink0" { mac = "52:54:00:00:0d:01" }
nic "uplink1" { mac = "52:54:00:00:0d:02" }
nic "mgmt" {
  mac       = "52:54:00:00:0d:03"
  addresses = ["203.0.113.10/24"]
}

bond "bond0" {
  slaves       = [nic.uplink0, nic.uplink1]
  mode         = "active-backup"
  miimon       = 100
  primary      = nic.uplink0
  active_slave = nic.uplink0
  slave {
    nic      = nic.uplink1
    queue_id = 1
    prio     = 5
  }
}

bridge "br0" {
  ports     = [bond.bond0]
  addresses = ["198.51.100.10/24"]
}

nic "storage" { mac = "52:54:00:00:0d:04" }

bridge "brs" {
  ports = [nic.storage]
  fdb {
    mac  = "52:54:00:aa:0d:01"
    port = nic.storage
  }
}

route "lab" {
  to  = "203.0.113.128/25"
  via = "203.0.113.1"
  dev = nic.mgmt
}
`

// A plan whose NIC labels are not the kernel's names applies, re-plans to nothing, shows
// no drift in status and is destroyed: the labels never reach the kernel.
func TestCLIKernelNICNames(t *testing.T) {
	tp := labNICs(t, "52:54:00:00:0d:01", "52:54:00:00:0d:02", "52:54:00:00:0d:03", "52:54:00:00:0d:04")
	for _, label := range []string{"uplink0", "uplink1", "uplink2", "uplink3"} {
		if name := tp.NIC(label); name == label || !strings.HasPrefix(name, "en") {
			t.Fatalf("NIC %s is called %s by the kernel: the lab must not name NICs after labels", label, name)
		}
	}
	file := filepath.Join(t.TempDir(), "plan.hcl")
	if err := os.WriteFile(file, []byte(kernelNamesPlan), 0o644); err != nil {
		t.Fatal(err)
	}
	up0, up1 := tp.NIC("uplink0"), tp.NIC("uplink1")
	steps := []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"plan", "--detailed-exitcode", file}, 2, []string{"primary", up0}},
		{[]string{"apply", "--auto-approve", file}, 0, []string{"Apply complete"}},
		{[]string{"plan", "--detailed-exitcode", file}, 0, []string{"No changes"}},
		{[]string{"status", "--plan", file}, 0, []string{"No drift", "active slave: " + up0, up1}},
		{[]string{"destroy", "--auto-approve", file}, 0, []string{"Destroy complete"}},
	}
	for _, st := range steps {
		code, out, errs := runCLIInput(t, "", st.args...)
		for _, w := range st.want {
			if code != st.code || !strings.Contains(out+errs, w) {
				t.Fatalf("hostnet %s: exit %d (want %d), output lacks %q:\n%s%s", strings.Join(st.args, " "), code, st.code, w, out, errs)
			}
		}
	}
}

// renamePlan renames the NIC found by MAC 52:54:00:00:0d:01 (eno1 in the lab) to wan0 and
// makes it the bond's primary.
const renamePlan = `nic "uplink0" {
  mac  = "52:54:00:00:0d:01"
  name = "wan0"
}
nic "uplink1" { mac = "52:54:00:00:0d:02" }

bond "bond0" {
  slaves  = [nic.uplink0, nic.uplink1]
  mode    = "active-backup"
  miimon  = 100
  primary = nic.uplink0
}

bridge "br0" {
  ports     = [bond.bond0]
  addresses = ["198.51.100.10/24"]
}
`

// A NIC the plan renames (name = "wan0") is renamed, named so in the bond's primary, and
// the rename is undone by a rollback of an apply killed before its end.
func TestCLIRenamedNIC(t *testing.T) {
	tp := labNICs(t, "52:54:00:00:0d:01", "52:54:00:00:0d:02")
	first := tp.NIC("uplink0")
	dir := filepath.Join(t.TempDir(), "state")
	file := filepath.Join(t.TempDir(), "plan.hcl")
	if err := os.WriteFile(file, []byte(renamePlan), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hostnet(t, dir, nil, "destroy", "--auto-approve", file) })
	s, err := live.Read(netns.None())
	if err != nil {
		t.Fatal(err)
	}
	pre := safe.Normalized(s)
	p, _, diags := loadAndValidate(file, (&planFlags{}).options())
	if p == nil {
		t.Fatal(diags)
	}
	ch, err := engine.Diff(p, s)
	if err != nil {
		t.Fatal(err)
	}
	steps := ch.Steps()
	if !slices.ContainsFunc(steps, func(st engine.Step) bool { return st.Desc == "rename "+first+" to wan0" }) {
		t.Fatalf("no rename of %s in:\n%v", first, steps)
	}

	// Killed just before its last kernel operation, after the rename: rollback undoes it.
	crash := []string{fmt.Sprintf("%s=%d", envCrashAt, len(steps))}
	if code, out := hostnet(t, dir, crash, "apply", "--auto-approve", file); code != -1 {
		t.Fatalf("apply was not killed: exit %d\n%s", code, out)
	}
	if tp.NIC("uplink0") != "wan0" {
		t.Fatalf("the killed apply had not renamed %s yet (it is %s)", first, tp.NIC("uplink0"))
	}
	if code, out := hostnet(t, dir, nil, "rollback"); code != 0 {
		t.Fatalf("rollback: exit %d\n%s", code, out)
	}
	s, err = live.Read(netns.None())
	if err != nil {
		t.Fatal(err)
	}
	if d := lineDiff(pre, safe.Normalized(s)); d != "" || tp.NIC("uplink0") != first {
		t.Fatalf("rollback did not restore (NIC is %s):\n%s", tp.NIC("uplink0"), d)
	}

	if code, out := hostnet(t, dir, nil, "apply", "--auto-approve", file); code != 0 {
		t.Fatalf("apply: exit %d\n%s", code, out)
	}
	if got := tp.NIC("uplink0"); got != "wan0" {
		t.Fatalf("NIC uplink0 is %s, want wan0", got)
	}
	if b, _ := os.ReadFile("/sys/class/net/bond0/bonding/primary"); string(b) != "wan0\n" {
		t.Errorf("bond0 primary %q, want wan0", b)
	}
	if err := topo.WaitActive("bond0", "wan0", 3*time.Second); err != nil {
		t.Error(err)
	}
	for _, st := range []struct {
		args []string
		want string
	}{
		{[]string{"plan", "--detailed-exitcode", file}, "No changes"},
		{[]string{"status", "--plan", file}, "No drift"},
	} {
		if code, out := hostnet(t, dir, nil, st.args...); code != 0 || !strings.Contains(out, st.want) {
			t.Fatalf("hostnet %s: exit %d\n%s", strings.Join(st.args, " "), code, out)
		}
	}
}
