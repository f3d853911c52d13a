//go:build lab

package safe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vishvananda/netns"

	"github.com/hostnet/hostnet/hostnet/bonding"
	"github.com/hostnet/hostnet/hostnet/engine"
	"github.com/hostnet/hostnet/hostnet/lab"
	"github.com/hostnet/hostnet/hostnet/lab/topo"
	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/plan"
)

func TestMain(m *testing.M) { lab.RunTestMain(m) }

var (
	mac0 = mustMAC("52:54:00:5a:fe:01")
	mac1 = mustMAC("52:54:00:5a:fe:02")
)

func mustMAC(s string) net.HardwareAddr {
	m, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

func num(v uint64) bonding.Value { return bonding.Value{Num: v} }

func labHost(t *testing.T) *topo.Topology {
	t.Helper()
	tp, err := topo.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		engine.FaultHook = nil
		if ch, err := engine.Diff(&plan.Plan{}, read(t)); err == nil {
			engine.Apply(context.Background(), netns.None(), ch)
		}
		tp.Close()
	})
	for i, m := range []net.HardwareAddr{mac0, mac1} {
		if err := tp.AddNIC(fmt.Sprintf("eth%d", i), m); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tp.AddRemote("gw", "198.51.100.1/24"); err != nil {
		t.Fatal(err)
	}
	return tp
}

func read(t *testing.T) *live.State {
	t.Helper()
	s, err := live.Read(netns.None())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func nics() (*plan.NIC, *plan.NIC) {
	n0 := &plan.NIC{Iface: plan.Iface{Kind: plan.KindNIC, Name: "uplink0", MAC: mac0}}
	n1 := &plan.NIC{Iface: plan.Iface{Kind: plan.KindNIC, Name: "uplink1", MAC: mac1}}
	n0.Addr, n1.Addr = "nic.uplink0", "nic.uplink1"
	return n0, n1
}

func bridge(addr, name string, ports []plan.Interface, cidrs ...string) *plan.Bridge {
	br := &plan.Bridge{Iface: plan.Iface{Kind: plan.KindBridge, Name: name}, Ports: ports}
	br.Addr = addr
	for _, c := range cidrs {
		br.Addresses = append(br.Addresses, netip.MustParsePrefix(c))
	}
	return br
}

func vlan(b *plan.Bond, id int) *plan.VLAN {
	v := &plan.VLAN{Iface: plan.Iface{Kind: plan.KindVLAN, Name: fmt.Sprintf("bond0.%d", id)}, Link: b, ID: id}
	v.Addr = fmt.Sprintf("vlan.tenant[\"%d\"]", id)
	return v
}

// before is the host the tests start from, built by hostnet: bond0 (active-backup) over
// both NICs under br0 (198.51.100.10/24, gateway .1), VLAN 100 on bond0 with bridge br100.
func beforePlan() *plan.Plan {
	n0, n1 := nics()
	b := &plan.Bond{Iface: plan.Iface{Kind: plan.KindBond, Name: "bond0"}, Slaves: []plan.Slave{{NIC: n0}, {NIC: n1}}}
	b.Addr = "bond.bond0"
	b.Options.Set(bonding.OptMode, num(uint64(bonding.ActiveBackup)))
	b.Options.Set(bonding.OptMiimon, num(100))
	v := vlan(b, 100)
	br := bridge("bridge.br0", "br0", []plan.Interface{b}, "198.51.100.10/24")
	br.Gateway = netip.MustParseAddr("198.51.100.1")
	fd := 4
	br100 := bridge(`bridge.tenant["100"]`, "br100", []plan.Interface{v}, "203.0.113.100/28")
	br100.ForwardDelay = &fd
	return &plan.Plan{NICs: []*plan.NIC{n0, n1}, Bonds: []*plan.Bond{b}, VLANs: []*plan.VLAN{v},
		Bridges: []*plan.Bridge{br, br100}}
}

// afterPlan changes bond0's mode (bond down, slaves released and re-enslaved), its MTU and
// hash policy, adds an address to br0, deletes VLAN 100 and br100, creates VLANs 200 and 201
// with bridges and addresses, and adds a route.
func afterPlan() *plan.Plan {
	n0, n1 := nics()
	b := &plan.Bond{Iface: plan.Iface{Kind: plan.KindBond, Name: "bond0", MTU: 9000}, Slaves: []plan.Slave{{NIC: n0}, {NIC: n1}}}
	b.Addr = "bond.bond0"
	b.Options.Set(bonding.OptMode, num(uint64(bonding.BalanceXOR)))
	b.Options.Set(bonding.OptMiimon, num(50))
	b.Options.Set(bonding.OptXmitHashPolicy, num(1))
	br := bridge("bridge.br0", "br0", []plan.Interface{b}, "198.51.100.10/24", "198.51.100.11/24")
	br.Gateway = netip.MustParseAddr("198.51.100.1")
	p := &plan.Plan{NICs: []*plan.NIC{n0, n1}, Bonds: []*plan.Bond{b}, Bridges: []*plan.Bridge{br}}
	for i, id := range []int{200, 201} {
		v := vlan(b, id)
		stp := id == 201
		x := bridge(fmt.Sprintf("bridge.tenant[\"%d\"]", id), fmt.Sprintf("br%d", id), []plan.Interface{v},
			fmt.Sprintf("203.0.113.%d/28", 16*(i+1)+1))
		x.STP = stp
		p.VLANs = append(p.VLANs, v)
		p.Bridges = append(p.Bridges, x)
	}
	p.Routes = []*plan.Route{{Source: plan.Source{Addr: "route.far"}, Name: "far", To: netip.MustParsePrefix("203.0.113.128/25"),
		Via: netip.MustParseAddr("203.0.113.20"), Dev: p.Bridges[1], Metric: 10}}
	return p
}

func mustApply(t *testing.T, p *plan.Plan) {
	t.Helper()
	ch, err := engine.Diff(p, read(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := engine.Apply(context.Background(), netns.None(), ch); err != nil {
		t.Fatalf("apply: %v\n%v", err, ch.Steps())
	}
}

func diffLines(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, "- "+x)
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			out = append(out, "+ "+x)
		}
	}
	return out
}

// failAt makes the k-th (1-based) kernel operation of the next engine.Apply fail, once.
func failAt(k int) *atomic.Bool {
	var fired atomic.Bool
	engine.FaultHook = func(i int, s engine.Step) error {
		if i == k-1 && fired.CompareAndSwap(false, true) {
			return fmt.Errorf("injected fault at operation %d (%s)", k, s.Desc)
		}
		return nil
	}
	return &fired
}

// For every k from 1 to the number of kernel operations of a non-trivial apply, the k-th
// operation fails; safe.Apply restores the snapshot, and the whole live state (Normalized)
// equals the state before the apply.
func TestLabFaultInjectionEveryStep(t *testing.T) {
	labHost(t)
	mustApply(t, beforePlan())
	pre := read(t).Normalized()
	after := afterPlan()
	ch, err := engine.Diff(after, read(t))
	if err != nil {
		t.Fatal(err)
	}
	n := len(ch.Steps())
	if n < 20 {
		t.Fatalf("plan too small for the test: %d steps\n%v", n, ch.Steps())
	}
	for _, s := range ch.Steps() {
		t.Log(s)
	}
	dir := t.TempDir()
	var tried, restored int
	var worst, total time.Duration
	for k := 1; k <= n; k++ {
		s := read(t)
		ch, err := engine.Diff(after, s)
		if err != nil {
			t.Fatal(err)
		}
		// Through the disk, as a later rollback would see it.
		taken := Take(s, after, "apply test")
		path := filepath.Join(dir, "k.json")
		if err := taken.Save(path); err != nil {
			t.Fatal(err)
		}
		snap, err := LoadSnapshot(path)
		if err != nil {
			t.Fatal(err)
		}
		fired := failAt(k)
		_, err = Apply(context.Background(), netns.None(), dir, snap, ch, false)
		engine.FaultHook = nil
		tried++
		var ae *ApplyError
		var se *engine.StepError
		if !fired.Load() || !errors.As(err, &ae) || !errors.As(err, &se) || se.Index != k-1 {
			t.Fatalf("k=%d: fault not reported as step %d: %v", k, k, err)
		}
		if ae.RestoreErr != nil {
			t.Errorf("k=%d (%s): %v", k, se.Step.Desc, ae.RestoreErr)
		} else {
			restored++
			total += ae.Restore.Duration
			worst = max(worst, ae.Restore.Duration)
		}
		if d := diffLines(pre, read(t).Normalized()); len(d) > 0 {
			t.Fatalf("k=%d (%s): live state differs from the snapshot:\n%s", k, se.Step.Desc, strings.Join(d, "\n"))
		}
		t.Logf("k=%2d %-45s restored: %s", k, se.Step.Desc, ae.Restore)
	}
	// And the apply itself works from there.
	s := read(t)
	if ch, err = engine.Diff(after, s); err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(context.Background(), netns.None(), dir, Take(s, after, "apply"), ch, false); err != nil {
		t.Fatalf("apply without fault: %v", err)
	}
	t.Logf("fault points tried: %d of %d operations; restored to the snapshot: %d; restore time mean %s, max %s",
		tried, n, restored, (total / time.Duration(max(restored, 1))).Round(10*time.Microsecond), worst.Round(10*time.Microsecond))
	fmt.Printf("fault injection: %d points tried, %d restored exactly\n", tried, restored)
}

// A snapshot survives a trip through disk and restores a host whose apply went through.
func TestLabRestoreAfterCompleteApply(t *testing.T) {
	labHost(t)
	mustApply(t, beforePlan())
	pre := read(t).Normalized()
	snap := Take(read(t), afterPlan(), "apply")
	mustApply(t, afterPlan())
	rep, err := Restore(context.Background(), netns.None(), snap)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("restore of a complete apply: %s", rep)
	if d := diffLines(pre, read(t).Normalized()); len(d) > 0 {
		t.Fatalf("differs:\n%s", strings.Join(d, "\n"))
	}
}
