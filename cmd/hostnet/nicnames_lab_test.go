//go:build lab

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
