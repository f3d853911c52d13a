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

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

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
		if err := tp.AddNIC(fmt.Sprintf("uplink%d", i), m); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tp.AddRemote("gw", "198.51.100.1/24"); err != nil {
		t.Fatal(err)
	}
	// A bridge hostnet did not create, with an ageing time that is no whole number of
	// seconds; afterPlan adopts it.
	ageing := uint32(12350)
	if err := netlink.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "bruser"}, AgeingTime: &ageing}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if l, err := netlink.LinkByName("bruser"); err == nil {
			netlink.LinkDel(l)
		}
	})
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

// readFor reads the state as the CLI does for plan p (engine.Read: arp_notify, FDB).
func readFor(t *testing.T, p *plan.Plan) *live.State {
	t.Helper()
	s, err := engine.Read(netns.None(), p)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// staticRoute is a route hostnet did not add (proto static) through br100, which the apply
// deletes: the kernel drops the route with it, and a restore must bring it back as static,
// never as hostnet's.
const staticRoute = "route table=254 203.0.113.0/24 via 203.0.113.97 dev br100 metric=0 proto=4 scope=0 type=1"

func addStaticRoute(t *testing.T) {
	t.Helper()
	l, err := netlink.LinkByName("br100")
	if err != nil {
		t.Fatal(err)
	}
	r := &netlink.Route{LinkIndex: l.Attrs().Index, Dst: &net.IPNet{IP: net.IPv4(203, 0, 113, 0).To4(), Mask: net.CIDRMask(24, 32)},
		Gw: net.IPv4(203, 0, 113, 97).To4(), Protocol: unix.RTPROT_STATIC}
	if err := netlink.RouteAdd(r); err != nil {
		t.Fatal(err)
	}
}

// checkOwnership fails unless the static route is there with its protocol and no link that
// was unmarked before carries a mark.
func checkOwnership(t *testing.T, k int, pre []string, s *live.State) {
	t.Helper()
	if !slices.Contains(s.Normalized(), staticRoute) {
		t.Fatalf("k=%d: the proto static route is not back as it was:\n%s", k, strings.Join(s.Normalized(), "\n"))
	}
	for _, l := range s.Links {
		if _, ok := l.Mark(); ok && slices.ContainsFunc(pre, func(x string) bool {
			return strings.HasPrefix(x, "link "+l.Name+" ") && !strings.Contains(x, "alias=\"hostnet:")
		}) {
			t.Fatalf("k=%d: %s was not hostnet's and is marked %q", k, l.Name, l.Alias)
		}
	}
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
	on := true
	br.ARPNotify = &on // on an existing bridge: the snapshot reads it, the restore puts it back
	user := bridge("bridge.user", "bruser", nil)
	age := 60
	user.AgeingTime = &age // the user's bridge, adopted (marked) and changed by the apply
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
	p.Bridges = append(p.Bridges, user)
	p.Routes = []*plan.Route{{Source: plan.Source{Addr: "route.far"}, Name: "far", To: netip.MustParsePrefix("203.0.113.128/25"),
		Via: netip.MustParseAddr("203.0.113.20"), Dev: p.Bridges[1], Metric: 10}}
	return p
}

// diffAdopting is engine.Diff with the user's bridge bruser explicitly adopted: the tests
// here check that a restore gives it back unmarked.
func diffAdopting(p *plan.Plan, s *live.State) (*engine.Changes, error) {
	return engine.DiffAdopt(p, s, map[string]bool{"bruser": true})
}

func mustApply(t *testing.T, p *plan.Plan) {
	t.Helper()
	ch, err := diffAdopting(p, readFor(t, p))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := engine.Apply(context.Background(), netns.None(), ch); err != nil {
		t.Fatalf("apply: %v\n%v", err, ch.Steps())
	}
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
	addStaticRoute(t)
	after := afterPlan()
	pre := readFor(t, after).Normalized()
	if !slices.Contains(pre, staticRoute) {
		t.Fatalf("static route not set up:\n%s", strings.Join(pre, "\n"))
	}
	ch, err := diffAdopting(after, readFor(t, after))
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
		s := readFor(t, after) // as the CLI takes it
		ch, err := diffAdopting(after, s)
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
		_, err = Apply(context.Background(), netns.None(), dir, snap, ch, false, nil)
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
		now := readFor(t, after)
		if d := live.DiffNormalized(pre, now.Normalized()); len(d) > 0 {
			t.Fatalf("k=%d (%s): live state differs from the snapshot:\n%s", k, se.Step.Desc, strings.Join(d, "\n"))
		}
		checkOwnership(t, k, pre, now)
		t.Logf("k=%2d %-45s restored: %s", k, se.Step.Desc, ae.Restore)
	}
	// And the apply itself works from there.
	s := readFor(t, after)
	if ch, err = diffAdopting(after, s); err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(context.Background(), netns.None(), dir, Take(s, after, "apply"), ch, false, nil); err != nil {
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
	addStaticRoute(t)
	after := afterPlan()
	pre := readFor(t, after).Normalized()
	if !slices.ContainsFunc(pre, func(x string) bool {
		return strings.HasPrefix(x, "link bruser ") && strings.Contains(x, " ageing=12350 ")
	}) {
		t.Fatalf("bruser not set up:\n%s", strings.Join(pre, "\n"))
	}
	snap := Take(readFor(t, after), after, "apply")
	mustApply(t, after)
	s := readFor(t, after)
	if slices.Contains(s.Normalized(), staticRoute) {
		t.Fatal("the apply kept the route through br100 it deleted")
	}
	if l := s.Link("bruser"); l == nil || l.Alias != live.MarkFor("bridge.user") {
		t.Fatalf("the apply did not adopt bruser: %+v", l)
	}
	// The restore's own diff writes no mark on a link that had none in the snapshot.
	p, err := snap.Plan()
	if err != nil {
		t.Fatal(err)
	}
	rs, err := live.ReadWith(netns.None(), snap.Included)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := engine.DiffUnowned(p, rs, snap.Unowned())
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range ch.Steps() {
		if strings.HasPrefix(st.Desc, "mark bruser") {
			t.Fatalf("the restore would mark bruser: %s", st)
		}
	}
	// Nor does the restore itself, at any step.
	var marked atomic.Value
	engine.FaultHook = func(i int, st engine.Step) error {
		if strings.HasPrefix(st.Desc, "mark bruser") {
			marked.Store(st.Desc)
		}
		return nil
	}
	rep, err := Restore(context.Background(), netns.None(), snap)
	engine.FaultHook = nil
	if err != nil {
		t.Fatal(err)
	}
	if m := marked.Load(); m != nil {
		t.Fatalf("the restore wrote a mark on the user's bridge: %v", m)
	}
	t.Logf("restore of a complete apply: %s", rep)
	now := readFor(t, after)
	if d := live.DiffNormalized(pre, now.Normalized()); len(d) > 0 {
		t.Fatalf("differs:\n%s", strings.Join(d, "\n"))
	}
	checkOwnership(t, 0, pre, now)
}
