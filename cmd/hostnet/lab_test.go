//go:build lab

package main

import (
	"bytes"
	"io"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hostnet/hostnet/hostnet/jsonout"
	"github.com/hostnet/hostnet/hostnet/jsonout/schematest"
	"github.com/hostnet/hostnet/hostnet/lab/labvirt"
	"github.com/hostnet/hostnet/hostnet/lab/topo"
)

// The tests of this file change the network: they run inside the lab kernel, with a
// libvirtd of their own.
func TestMain(m *testing.M) { labvirt.RunTestMain(m) }

const cliPlan = `nic "uplink0" { mac = "52:54:00:00:0c:01" }
nic "uplink1" { mac = "52:54:00:00:0c:02" }

bond "bond0" {
  slaves = [nic.uplink0, nic.uplink1]
  mode   = "active-backup"
  miimon = 100
}

bridge "br0" {
  ports     = [bond.bond0]
  addresses = ["198.51.100.10/24"]
}

vlan "v" {
  for_each = range(10, 13)
  link     = bond.bond0
  id       = each.value
}
`

// labNICs builds the lab switch and NICs uplink0, uplink1, ... with the given MACs.
func labNICs(t *testing.T, macs ...string) *topo.Topology {
	t.Helper()
	tp, err := topo.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tp.Close() })
	for i, m := range macs {
		mac, _ := net.ParseMAC(m)
		if err := tp.AddNIC("uplink"+string(rune('0'+i)), mac); err != nil {
			t.Fatal(err)
		}
	}
	return tp
}

// plan --detailed-exitcode says 2 before apply and 0 after; destroy returns to 2.
func TestCLIPlanApplyDestroyExitCodes(t *testing.T) {
	labNICs(t, "52:54:00:00:0c:01", "52:54:00:00:0c:02")
	file := filepath.Join(t.TempDir(), "plan.hcl")
	if err := os.WriteFile(file, []byte(cliPlan), 0o644); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"plan", "--detailed-exitcode", file}, 2, "+ create bond.bond0"},
		{[]string{"apply", file}, 1, "apply cancelled"}, // "no" on stdin
		{[]string{"plan", "--detailed-exitcode", file}, 2, "Plan: "},
		{[]string{"apply", "--auto-approve", file}, 0, "Apply complete"},
		{[]string{"plan", "--detailed-exitcode", file}, 0, "No changes"},
		{[]string{"apply", "--auto-approve", file}, 0, "No changes"},
		{[]string{"status", "--plan", file}, 0, "No drift"},
		{[]string{"destroy", "--auto-approve", file}, 0, "Destroy complete"},
		{[]string{"plan", "--detailed-exitcode", file}, 2, "+ create bond.bond0"},
	}
	for _, st := range steps {
		code, out, errs := runCLIInput(t, "no\n", st.args...)
		if code != st.code || !strings.Contains(out+errs, st.want) {
			t.Fatalf("hostnet %s: exit %d (want %d), output lacks %q:\n%s%s", strings.Join(st.args, " "), code, st.code, st.want, out, errs)
		}
	}
}

// A plan for another host changes nothing and says why.
func TestCLIHostGuard(t *testing.T) {
	labNICs(t, "52:54:00:00:0c:01", "52:54:00:00:0c:02")
	file := filepath.Join(t.TempDir(), "plan.hcl")
	os.WriteFile(file, []byte("host { name = \"not-this-host\" }\n"+cliPlan), 0o644)
	code, _, errs := runCLI(t, "apply", "--auto-approve", file)
	if code != 1 || !strings.Contains(errs, `the plan is for host "not-this-host"`) {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if code, out, _ := runCLI(t, "plan", "--detailed-exitcode", "--ignore-host-guard", file); code != 2 {
		t.Fatalf("nothing may have changed: exit %d\n%s", code, out)
	}
}

// The README's first command runs this: the whole demo on the default plan.
func TestCLILabDemo(t *testing.T) {
	code, out, errs := runCLI(t, "lab", "demo", "--inside")
	for _, want := range []string{"Apply complete", "active slave: uplink1", "No changes. The live network matches the plan.", "Destroy complete"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if code != 0 || t.Failed() {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader in two goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func waitFor(t *testing.T, buf *syncBuffer, want string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !strings.Contains(buf.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q within %s:\n%s", want, limit, buf.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// hostnet watch finds the plan's bridged bond, announces on a real failover, and stops
// cleanly on SIGTERM as a systemd service must.
func TestCLIWatch(t *testing.T) {
	tp := labNICs(t, "52:54:00:00:0c:01", "52:54:00:00:0c:02")
	file := filepath.Join(t.TempDir(), "plan.hcl")
	os.WriteFile(file, []byte(strings.Replace(cliPlan, "miimon = 100", "miimon = 10", 1)), 0o644)
	if code, out, errs := runCLI(t, "apply", "--auto-approve", file); code != 0 {
		t.Fatalf("apply: %s%s", out, errs)
	}
	if _, err := tp.AddGuest("guest", "198.51.100.30/24", "br0"); err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"watch", file}, strings.NewReader(""), io.Discard, &stderr)
	}()
	waitFor(t, &stderr, "bonds=[bond0]", 5*time.Second)
	if err := tp.CutNIC("uplink0"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, &stderr, "bond=bond0", 5*time.Second)
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("watch exit %d:\n%s", code, stderr.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("watch did not stop on SIGTERM:\n%s", stderr.String())
	}
	t.Logf("watch log:\n%s", stderr.String())
}

const netPlan = cliPlan + `
bridge "vbr" {
  for_each = vlan.v
  name     = "vbr${each.key}"
  ports    = [each.value]
}

libvirt_network "host" {
  bridge = bridge.br0
}

libvirt_network "tenant" {
  for_each = bridge.vbr
  bridge   = each.value
}
`

// libvirt networks are planned with the kernel changes, applied after the bridges they use,
// re-plan to nothing, and go first on destroy.
func TestCLILibvirtNetworks(t *testing.T) {
	labNICs(t, "52:54:00:00:0c:01", "52:54:00:00:0c:02")
	file := filepath.Join(t.TempDir(), "plan.hcl")
	os.WriteFile(file, []byte(netPlan), 0o644)
	steps := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"plan", "--detailed-exitcode", file}, 2, "+ create 3 libvirt network libvirt_network.tenant[10..12] (tenant10 … tenant12)"},
		{[]string{"plan", "--detailed-exitcode", "--verbose", file}, 2, "+ create libvirt network tenant11"},
		{[]string{"apply", "--auto-approve", file}, 0, "libvirt networks: 4 change(s) applied"},
		{[]string{"plan", "--detailed-exitcode", file}, 0, "No libvirt network changes"},
		{[]string{"destroy", "--auto-approve", file}, 0, "- delete libvirt network host"},
		{[]string{"plan", "--detailed-exitcode", file}, 2, "+ create libvirt network host"},
	}
	for _, st := range steps {
		code, out, errs := runCLIInput(t, "", st.args...)
		if code != st.code || !strings.Contains(out+errs, st.want) {
			t.Fatalf("hostnet %s: exit %d (want %d), output lacks %q:\n%s%s", strings.Join(st.args, " "), code, st.code, st.want, out, errs)
		}
	}
}

// Every --json document of a plan's life (plan, apply, re-apply, status, destroy) matches
// the schema and says what happened, with typed values; --detailed-exitcode tells changed
// from unchanged for apply and destroy too; destroy names the libvirt networks it deleted.
func TestCLIJSONDocuments(t *testing.T) {
	labNICs(t, "52:54:00:00:0c:01", "52:54:00:00:0c:02")
	file := filepath.Join(t.TempDir(), "plan.hcl")
	os.WriteFile(file, []byte(netPlan), 0o644)
	state := "--state-dir=" + t.TempDir()
	step := func(wantCode int, args ...string) *jsonout.Document {
		t.Helper()
		code, out, errs := runCLI(t, args...)
		if code != wantCode {
			t.Fatalf("hostnet %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, wantCode, out, errs)
		}
		doc := schematest.Check(t, out)
		if doc.ExitCode != code {
			t.Fatalf("exit_code %d in the document, %d from the process", doc.ExitCode, code)
		}
		return doc
	}

	doc := step(2, "plan", "--json", "--detailed-exitcode", file)
	c := doc.Changes
	if !c.Changed || !c.Libvirt.Checked || c.Libvirt.Networks != 4 || c.Summary.Create < 10 {
		t.Errorf("plan: %+v", c)
	}
	layers := map[string]int{}
	for _, r := range c.Resources {
		layers[r.Layer]++
		if r.Address != "bond.bond0" {
			continue
		}
		for _, a := range r.Attributes {
			if a.Name == "miimon" && (a.Old != nil || a.New != float64(100)) {
				t.Errorf("bond.bond0 miimon: %#v → %#v, want null → 100", a.Old, a.New)
			}
			if a.Name == "slaves" && !reflect.DeepEqual(a.New, []any{"uplink0", "uplink1"}) {
				t.Errorf("bond.bond0 slaves: %#v", a.New)
			}
		}
	}
	if layers["libvirt"] != 4 || layers["kernel"] < 10 {
		t.Errorf("resources by layer: %v", layers)
	}

	doc = step(2, "apply", "--json", "--auto-approve", "--detailed-exitcode", state, file)
	if r := doc.Result; !r.Applied || r.KernelOperations == 0 || len(r.LibvirtNetworks) != 4 || r.Confirmation != nil {
		t.Errorf("apply: %+v", r)
	}
	doc = step(0, "apply", "--json", "--auto-approve", "--detailed-exitcode", state, file)
	if r := doc.Result; r.Applied || r.KernelOperations != 0 || doc.Changes.Changed {
		t.Errorf("re-apply: %+v %+v", r, doc.Changes)
	}
	doc = step(0, "status", "--json", "--plan", file, state)
	st := doc.Status
	if len(st.Bonds) != 1 || st.Bonds[0].Name != "bond0" || len(st.Bonds[0].Slaves) != 2 || !st.PlanChecked || len(st.Drift) != 0 || st.PendingConfirmation != nil {
		t.Errorf("status: %+v", st)
	}
	doc = step(2, "destroy", "--json", "--auto-approve", "--detailed-exitcode", state, file)
	deleted := 0
	for _, n := range doc.Result.LibvirtNetworks {
		if n.Action == "delete" {
			deleted++
		}
	}
	if deleted != 4 || doc.Result.KernelOperations == 0 {
		t.Errorf("destroy: %+v", doc.Result)
	}
	// The text destroy names them too.
	step(2, "apply", "--json", "--auto-approve", "--detailed-exitcode", state, file)
	if code, out, errs := runCLI(t, "destroy", "--auto-approve", state, file); code != 0 || !strings.Contains(out, "libvirt networks deleted (4): ") {
		t.Errorf("destroy: exit %d\n%s%s", code, out, errs)
	}
	// A plan without networks says nothing about libvirt, also when no daemon answers.
	plain := filepath.Join(t.TempDir(), "plain.hcl")
	os.WriteFile(plain, []byte(cliPlan), 0o644)
	down := "--libvirt-uri=qemu:///system?socket=/run/no-such-libvirtd.sock"
	if code, out, errs := runCLI(t, "plan", down, plain); code != 0 || strings.Contains(out+errs, "libvirt") {
		t.Errorf("plan without networks, libvirt down: exit %d\n%s%s", code, out, errs)
	}
}

// With libvirtd unreachable, apply sets up the host part and says the networks were not;
// a re-run against the daemon converges. destroy changes nothing without libvirt.
func TestCLILibvirtDown(t *testing.T) {
	labNICs(t, "52:54:00:00:0c:01", "52:54:00:00:0c:02")
	file := filepath.Join(t.TempDir(), "plan.hcl")
	os.WriteFile(file, []byte(netPlan), 0o644)
	down := "--libvirt-uri=qemu:///system?socket=/run/no-such-libvirtd.sock"
	code, out, errs := runCLI(t, "apply", "--auto-approve", down, file)
	if code != 1 || !strings.Contains(errs, "the host part is applied, but libvirt networks were not") || !strings.Contains(out, "Apply complete") {
		t.Fatalf("apply with libvirt down: exit %d\n%s%s", code, out, errs)
	}
	if code, out, errs := runCLI(t, "destroy", "--auto-approve", down, file); code != 1 || !strings.Contains(errs, "nothing was changed") {
		t.Fatalf("destroy with libvirt down: exit %d\n%s%s", code, out, errs)
	}
	if code, out, errs := runCLI(t, "apply", "--auto-approve", file); code != 0 || !strings.Contains(out, "No changes. The live network matches the plan.") {
		t.Fatalf("re-run: exit %d\n%s%s", code, out, errs)
	}
	if code, out, _ := runCLI(t, "plan", "--detailed-exitcode", file); code != 0 {
		t.Fatalf("after the re-run: exit %d\n%s", code, out)
	}
	if code, out, errs := runCLI(t, "destroy", "--auto-approve", file); code != 0 {
		t.Fatalf("destroy: exit %d\n%s%s", code, out, errs)
	}
}
