//go:build lab

package examples

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netns"

	"github.com/hostnet/hostnet/hostnet/engine"
	"github.com/hostnet/hostnet/hostnet/lab/labvirt"
	"github.com/hostnet/hostnet/hostnet/lab/topo"
	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/plan"
	"github.com/hostnet/hostnet/hostnet/validate"
	"github.com/hostnet/hostnet/libvirtnet"
)

// These tests apply the examples to the lab's real kernel, with a libvirtd of their own.
func TestMain(m *testing.M) { labvirt.RunTestMain(m) }

func load(t *testing.T, dir string) *plan.Plan {
	t.Helper()
	p, diags := plan.Load(dir, plan.LoadOptions{})
	diags = append(diags, validate.Plan(p)...)
	if diags.HasErrors() {
		t.Fatalf("%s: %v", dir, diags)
	}
	return p
}

// hostFor builds the lab host of a plan: a switch as its switch block declares, and the
// plan's NICs with their MAC addresses.
func hostFor(t *testing.T, p *plan.Plan) *topo.Topology {
	t.Helper()
	tp, err := topo.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := tp.Close(); err != nil {
			t.Errorf("topology cleanup: %v", err)
		}
	})
	switch {
	case p.Switch.LACP:
		err = tp.SetSwitchLAG("802.3ad")
	case p.Switch.StaticLAG:
		err = tp.SetSwitchLAG("balance-xor")
	}
	if err != nil {
		t.Fatal(err)
	}
	labels := map[string]bool{}
	for _, n := range p.NICs {
		if err := tp.AddNIC(n.Name, n.MAC); err != nil {
			t.Fatal(err)
		}
		labels[n.Name] = true
	}
	// As on a real host, the kernel's names are not the plan's labels.
	for _, name := range tp.NICs() {
		if labels[name] {
			t.Fatalf("the lab named a NIC %s, which is a label of the plan", name)
		}
	}
	return tp
}

// read reads the lab's live state as a diff of the example needs it (engine.Read: the
// bridge VLANs of a VLAN-aware bridge, the FDB, ...); without a plan, links, addresses and
// routes only.
func read(t *testing.T, p ...*plan.Plan) *live.State {
	t.Helper()
	var pl *plan.Plan
	if len(p) > 0 {
		pl = p[0]
	}
	s, err := engine.Read(netns.None(), pl)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// networksOf plans an example's libvirt networks against the lab's libvirtd.
func networksOf(t *testing.T, p *plan.Plan) (*libvirtnet.Conn, []libvirtnet.Network) {
	t.Helper()
	desired, err := libvirtnet.Desired(p)
	if err != nil {
		t.Fatal(err)
	}
	c, err := libvirtnet.Connect(labvirt.URI)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, desired
}

// Every example applies, verifies (Apply reads back and re-diffs), re-plans to no changes,
// and destroys back to exactly the state before, libvirt networks included.
func TestExamplesApplyReplanDestroy(t *testing.T) {
	mains, err := filepath.Glob("*/main.hcl")
	if err != nil || len(mains) < 6 {
		t.Fatalf("examples: %v %v", mains, err)
	}
	for _, m := range mains {
		dir := filepath.Dir(m)
		t.Run(dir, func(t *testing.T) {
			p := load(t, dir)
			hostFor(t, p)
			before := read(t, p).Normalized()

			ch, err := engine.Diff(p, read(t, p))
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			rep, err := engine.Apply(context.Background(), netns.None(), ch)
			if err != nil {
				t.Fatalf("apply: %v", err)
			}
			t.Logf("%s: %d kernel operations, applied and verified in %s", dir, rep.Steps, time.Since(start).Round(time.Millisecond))

			conn, desired := networksOf(t, p)
			_, nch, err := conn.Plan(desired)
			if err != nil {
				t.Fatal(err)
			}
			if err := libvirtnet.Apply(conn, nch, read(t).IsBridge); err != nil {
				t.Fatalf("libvirt networks: %v", err)
			}

			again, err := engine.Diff(p, read(t, p))
			if err != nil {
				t.Fatal(err)
			}
			if again.HasChanges() {
				t.Fatalf("re-plan after apply is not empty: %+v", again.ChangedObjects())
			}
			if _, nch, err = conn.Plan(desired); err != nil || !nch.Empty() {
				t.Fatalf("libvirt re-plan after apply: %v %s", err, nch.Summary())
			}
			st, err := conn.Read()
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Owned()) != len(p.Networks) {
				t.Fatalf("%d networks registered, the plan has %d", len(st.Owned()), len(p.Networks))
			}
			if err := libvirtnet.Apply(conn, libvirtnet.DestroyChanges(desired, st), read(t).IsBridge); err != nil {
				t.Fatalf("removing the libvirt networks: %v", err)
			}
			if st, err = conn.Read(); err != nil || len(st.Owned()) != 0 {
				t.Fatalf("networks left after destroy: %v %v", err, st)
			}

			dch, err := engine.DestroyChanges(p, read(t, p))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := engine.Apply(context.Background(), netns.None(), dch); err != nil {
				t.Fatalf("destroy: %v", err)
			}
			after := read(t, p).Normalized()
			if strings.Join(before, "\n") != strings.Join(after, "\n") {
				t.Fatalf("destroy did not restore the prior state:\nbefore:\n%s\nafter:\n%s", strings.Join(before, "\n"), strings.Join(after, "\n"))
			}
		})
	}
}

// With active-backup under br0, a guest's ping to a remote host survives pulling the cable
// of the active slave.
func TestExampleActiveBackupFailover(t *testing.T) {
	p := load(t, "kvm-active-backup")
	tp := hostFor(t, p)
	if _, err := tp.AddRemote("remote", "198.51.100.1/24"); err != nil {
		t.Fatal(err)
	}
	ch, err := engine.Diff(p, read(t, p))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := engine.Apply(context.Background(), netns.None(), ch); err != nil {
		t.Fatal(err)
	}
	guest, err := tp.AddGuest("guest", "198.51.100.200/24", "br0")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, got, _ := guest.Ping("198.51.100.1", 1, 0); got == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("guest cannot reach the remote host before the failover")
		}
		time.Sleep(100 * time.Millisecond)
	}
	active := p.Bonds[0].Primary.Name
	pinger, err := guest.StartPing("198.51.100.1", 300, 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	cut := time.Now()
	if err := tp.CutNIC(active); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // keep pinging well past the failover
	pings := pinger.Stop(time.Second)
	gap, recovered := pings.GapAfter(cut)
	t.Logf("cut %s under a 10 ms ping: %d/%d replies, outage %s (BENCHMARKS.md and lab-kernel.md have measured figures)",
		active, pings.Received(), len(pings.Sent), gap.Round(time.Millisecond))
	// Functional, not timed: after the cut the guest's pings are answered again, through
	// the other slave, before the run ends.
	if !recovered || pings.SentAfter(cut) == 0 {
		t.Fatalf("the guest's pings were not answered again after the cut of %s (%d of %d sent after it lost)",
			active, pings.LostAfter(cut), pings.SentAfter(cut))
	}
	s := read(t)
	bond := s.Link("bond0")
	for _, sl := range s.Slaves(bond) {
		if sl.Name == active && sl.BondSlave.State == 0 {
			t.Fatalf("%s is still the active slave after its cable was pulled", active)
		}
	}
}
