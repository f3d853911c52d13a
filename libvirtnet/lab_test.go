//go:build lab

package libvirtnet

// These tests run against a real libvirtd that TestMain starts INSIDE the hostnet lab
// (a user-mode Linux kernel with a throwaway overlay over /): the machine's own libvirt
// configuration, daemons and network are never touched. libvirtd's state directories are
// covered with tmpfs inside the lab, so it starts with no networks at all (not even the
// package's "default").

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"libvirt.org/go/libvirt"

	"github.com/hostnet/hostnet/hostnet/lab/labvirt"
)

const testURI = labvirt.URI

// TestMain runs the tests inside the lab with a libvirtd of their own.
func TestMain(m *testing.M) { labvirt.RunTestMain(m) }

func connect(t *testing.T) *Conn {
	t.Helper()
	c, err := Connect(testURI)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// addBridges creates up bridges with netlink and removes them at the end of the test.
func addBridges(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: n}}
		if err := netlink.LinkAdd(br); err != nil {
			t.Fatalf("add bridge %s: %v", n, err)
		}
		if err := netlink.LinkSetUp(br); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, n := range names {
			if l, err := netlink.LinkByName(n); err == nil {
				netlink.LinkDel(l)
			}
		}
	})
}

// desired decodes an HCL plan into networks.
func desired(t *testing.T, src string) []Network {
	t.Helper()
	nets, err := Desired(loadPlan(t, src))
	if err != nil {
		t.Fatal(err)
	}
	return nets
}

// apply plans and applies with the host's live bridges, returning the changes.
func apply(t *testing.T, c *Conn, nets []Network) *Changes {
	t.Helper()
	_, ch, err := c.Plan(nets)
	if err != nil {
		t.Fatal(err)
	}
	br, err := LiveBridges()
	if err != nil {
		t.Fatal(err)
	}
	if err := Apply(c, ch, br); err != nil {
		t.Fatalf("apply:\n%s\n%v", ch.Summary(), err)
	}
	return ch
}

// destroyAll removes every network hostnet owns (test cleanup).
func destroyAll(t *testing.T, c *Conn) {
	t.Helper()
	_, ch, err := c.Plan(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := Apply(c, ch, nil); err != nil {
		t.Fatal(err)
	}
}

func mustRead(t *testing.T, c *Conn) *State {
	t.Helper()
	st, err := c.Read()
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// reapplyWritesNothing: the second apply of the same plan makes no libvirt write call.
func reapplyWritesNothing(t *testing.T, c *Conn, nets []Network) {
	t.Helper()
	c.ResetCalls()
	ch := apply(t, c, nets)
	if !ch.Empty() {
		t.Fatalf("re-apply planned changes:\n%s", ch.Summary())
	}
	if calls := c.Calls(); calls.Writes != 0 {
		t.Fatalf("re-apply made %d libvirt write calls: %v", calls.Writes, calls.ByOp)
	}
}

const lifecyclePlan = `
bridge "a" { name = "hnbr-a" }
bridge "b" { name = "hnbr-b" }
libvirt_network "n" {
  name   = "hn-life"
  bridge = bridge.%s
  autostart = %s
  %s
}
`

// TestLifecycle: define+start+autostart, idempotent re-apply, in-place portgroup update
// (no restart), autostart off, bridge change (restart), removal from the plan (undefine).
func TestLifecycle(t *testing.T) {
	c := connect(t)
	addBridges(t, "hnbr-a", "hnbr-b")
	t.Cleanup(func() { destroyAll(t, c) })

	pgs := `portgroup {
    name = "std"
    default = true
    inbound_average = 1000
  }`
	nets := desired(t, fmt.Sprintf(lifecyclePlan, "a", "true", pgs))
	ch := apply(t, c, nets)
	if len(ch.Changes) != 1 || ch.Changes[0].Action != Create {
		t.Fatalf("first apply: want a create, got\n%s", ch.Summary())
	}
	l := mustRead(t, c).Find("hn-life")
	if l == nil || !l.Owned || !l.Active || !l.Autostart || !l.Persistent || l.Bridge != "hnbr-a" || l.Forward != "bridge" {
		t.Fatalf("after create: %+v", l)
	}
	if !strings.Contains(l.XML, `xmlns:hostnet="https://hostnet.invalid/ns/1"`) {
		t.Errorf("libvirt did not keep the mark:\n%s", l.XML)
	}
	reapplyWritesNothing(t, c, nets)

	// Portgroups change in place: virNetworkUpdate on the running network and its config.
	pgs2 := `portgroup {
    name = "std"
    inbound_average = 2000
  }
  portgroup {
    name = "gold"
    default = true
    outbound_average = 5000
    outbound_burst = 512
  }`
	c.ResetCalls()
	ch = apply(t, c, desired(t, fmt.Sprintf(lifecyclePlan, "a", "true", pgs2)))
	if len(ch.Changes) != 1 || ch.Changes[0].Action != Update || ch.Changes[0].RestartNeeded {
		t.Fatalf("portgroup change: want an in-place update, got\n%s", ch.Summary())
	}
	if ops := c.Calls().ByOp; ops["virNetworkDestroy"] != 0 || ops["virNetworkDefineXML"] != 0 || ops["virNetworkUpdate"] != 2 {
		t.Fatalf("portgroup change: want 2 virNetworkUpdate and no destroy/define, got %v", ops)
	}
	l = mustRead(t, c).Find("hn-life")
	if got := fmt.Sprint(sortedPortGroups(l.PortGroups)); got != "[gold (default; outbound average=5000 burst=512) std (inbound average=2000)]" {
		t.Fatalf("config portgroups after update: %s", got)
	}
	liveXML := networkXML(t, c, "hn-life", 0)
	if !strings.Contains(liveXML, "gold") {
		t.Fatalf("running network lacks the new portgroup:\n%s", liveXML)
	}
	reapplyWritesNothing(t, c, desired(t, fmt.Sprintf(lifecyclePlan, "a", "true", pgs2)))

	// Autostart off: one call, in place.
	c.ResetCalls()
	ch = apply(t, c, desired(t, fmt.Sprintf(lifecyclePlan, "a", "false", pgs2)))
	if ops := c.Calls().ByOp; c.Calls().Writes != 1 || ops["virNetworkSetAutostart"] != 1 {
		t.Fatalf("autostart change: want one SetAutostart, got %v", ops)
	}
	if l = mustRead(t, c).Find("hn-life"); l.Autostart || !l.Active {
		t.Fatalf("after autostart off: %+v", l)
	}

	// Bridge change: libvirt cannot do it live; hostnet says restart and restarts.
	nets = desired(t, fmt.Sprintf(lifecyclePlan, "b", "false", pgs2))
	_, ch, err := c.Plan(nets)
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Changes) != 1 || ch.Changes[0].Action != Replace || !ch.Changes[0].RestartNeeded {
		t.Fatalf("bridge change: want replace with restart, got\n%s", ch.Summary())
	}
	t.Logf("bridge change plan:\n%s", ch.Summary())
	apply(t, c, nets)
	if l = mustRead(t, c).Find("hn-life"); l.Bridge != "hnbr-b" || !l.Active {
		t.Fatalf("after bridge change: %+v", l)
	}
	if x := networkXML(t, c, "hn-life", 0); !strings.Contains(x, "hnbr-b") {
		t.Fatalf("running network still on the old bridge:\n%s", x)
	}
	reapplyWritesNothing(t, c, nets)

	// Out of the plan: stopped and undefined.
	ch = apply(t, c, nil)
	if len(ch.Changes) != 1 || ch.Changes[0].Action != Delete {
		t.Fatalf("removal: want a delete, got\n%s", ch.Summary())
	}
	if l = mustRead(t, c).Find("hn-life"); l != nil {
		t.Fatalf("still there after delete: %+v", l)
	}
}

func networkXML(t *testing.T, c *Conn, name string, flags libvirt.NetworkXMLFlags) string {
	t.Helper()
	n, err := c.c.LookupNetworkByName(name)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Free()
	x, err := n.GetXMLDesc(flags)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// TestOwnership: a network hostnet did not create is never touched: not by apply, not
// by destroy, and a planned network with its name is refused with its name.
func TestOwnership(t *testing.T) {
	c := connect(t)
	addBridges(t, "hnbr-f", "hnbr-o")
	foreignXML := `<network><name>operator-net</name><forward mode="bridge"/><bridge name="hnbr-f"/></network>`
	n, err := c.c.NetworkDefineXML(foreignXML)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Create(); err != nil {
		t.Fatal(err)
	}
	n.Free()
	t.Cleanup(func() {
		if n, err := c.c.LookupNetworkByName("operator-net"); err == nil {
			n.Destroy()
			n.Undefine()
			n.Free()
		}
		destroyAll(t, c)
	})
	before := mustRead(t, c).Find("operator-net")

	nets := desired(t, `
bridge "o" { name = "hnbr-o" }
libvirt_network "mine" {
  name   = "hn-mine"
  bridge = bridge.o
}`)
	ch := apply(t, c, nets)
	if len(ch.Changes) != 1 || ch.Changes[0].Name != "hn-mine" || fmt.Sprint(ch.Foreign) != "[operator-net]" {
		t.Fatalf("want only hn-mine created and operator-net noted foreign, got\n%s foreign %v", ch.Summary(), ch.Foreign)
	}
	// Destroy with a plan that names both: only the owned one goes.
	st := mustRead(t, c)
	d := DestroyChanges(append(nets, Network{Name: "operator-net"}), st)
	if err := Apply(c, d, nil); err != nil {
		t.Fatal(err)
	}
	st = mustRead(t, c)
	after := st.Find("operator-net")
	if st.Find("hn-mine") != nil || after == nil || after.XML != before.XML || !after.Active || after.Owned {
		t.Fatalf("destroy: hn-mine %v, operator-net before %+v after %+v", st.Find("hn-mine"), before, after)
	}
	// A planned network with the foreign one's name that differs from it (autostart): error
	// naming it, nothing written. (One exactly as planned is adopted: TestDiffAdoptForeign.)
	c.ResetCalls()
	_, _, err = c.Plan(desired(t, `
bridge "f" { name = "hnbr-f" }
libvirt_network "x" {
  name      = "operator-net"
  bridge    = bridge.f
  autostart = true
}`))
	var fe *ForeignError
	if !errors.As(err, &fe) || fe.Name != "operator-net" || !strings.Contains(err.Error(), "libvirt_network.x") {
		t.Fatalf("want a ForeignError naming operator-net and libvirt_network.x, got %v", err)
	}
	if w := c.Calls().Writes; w != 0 {
		t.Fatalf("%d writes", w)
	}
	t.Logf("refusal: %v", err)
}

// TestBridgeMissing: libvirt would define and start a bridge-mode network on a bridge
// that does not exist; hostnet refuses before any write and names the bridge.
func TestBridgeMissing(t *testing.T) {
	c := connect(t)
	addBridges(t, "hnbr-here")
	t.Cleanup(func() { destroyAll(t, c) })
	nets := desired(t, `
bridge "here" { name = "hnbr-here" }
bridge "gone" { name = "hnbr-gone" }
libvirt_network "ok"   { bridge = bridge.here }
libvirt_network "lost" { bridge = bridge.gone }`)
	_, ch, err := c.Plan(nets)
	if err != nil {
		t.Fatal(err)
	}
	br, err := LiveBridges()
	if err != nil {
		t.Fatal(err)
	}
	c.ResetCalls()
	refusal := Apply(c, ch, br)
	if refusal == nil || !strings.Contains(refusal.Error(), "bridge hnbr-gone (for lost)") {
		t.Fatalf("want refusal naming hnbr-gone, got %v", refusal)
	}
	if calls := c.Calls(); calls.Writes != 0 {
		t.Fatalf("refused apply wrote: %v", calls.ByOp)
	}
	if st := mustRead(t, c); st.Find("ok") != nil || st.Find("lost") != nil {
		t.Fatal("networks defined despite the refusal")
	}
	// What hostnet prevents: libvirt itself starts the network on the missing bridge.
	n, err := c.c.NetworkDefineXML(`<network><name>raw-lost</name><forward mode="bridge"/><bridge name="hnbr-gone"/></network>`)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { n.Destroy(); n.Undefine(); n.Free() }()
	if err := n.Create(); err != nil {
		t.Logf("libvirt 9.0 refused to start on a missing bridge after all: %v", err)
	} else {
		t.Logf("libvirt started raw-lost on missing bridge hnbr-gone (hostnet's check is needed)")
	}
	t.Logf("refusal: %v", refusal)
}

// TestRollback: when a change fails halfway, the networks touched so far are restored.
func TestRollback(t *testing.T) {
	c := connect(t)
	addBridges(t, "hnbr-r1", "hnbr-r2")
	t.Cleanup(func() { destroyAll(t, c) })
	v1 := desired(t, `
bridge "r1" { name = "hnbr-r1" }
libvirt_network "r" {
  name = "hn-rb"
  bridge = bridge.r1
  portgroup { name = "p1" }
}`)
	apply(t, c, v1)
	before := mustRead(t, c).Find("hn-rb")
	// Second plan: change hn-rb in place, then create a network libvirt refuses (a
	// second network with hn-rb's UUID cannot exist: forge it by a name clash in case).
	v2 := desired(t, `
bridge "r1" { name = "hnbr-r1" }
bridge "r2" { name = "hnbr-r2" }
libvirt_network "r" {
  name = "hn-rb"
  bridge = bridge.r1
  portgroup { name = "p2" }
}
libvirt_network "bad" {
  name = "hn-bad"
  bridge = bridge.r2
}`)
	_, ch, err := c.Plan(v2)
	if err != nil {
		t.Fatal(err)
	}
	// Make the create fail inside libvirt: an MTU libvirt's parser refuses.
	for i := range ch.Changes {
		if ch.Changes[i].Name == "hn-bad" {
			ch.Changes[i].desired.Forward = "bridge"
			ch.Changes[i].desired.PortGroups = []PortGroup{{Name: "x", Default: true}, {Name: "y", Default: true}}
		}
	}
	err = Apply(c, ch, BridgeSet("hnbr-r1", "hnbr-r2"))
	if err == nil || !strings.Contains(err.Error(), "hn-bad") {
		t.Fatalf("want the create of hn-bad to fail, got %v", err)
	}
	t.Logf("failed apply: %v", err)
	st := mustRead(t, c)
	after := st.Find("hn-rb")
	if st.Find("hn-bad") != nil || after == nil || fmt.Sprint(after.PortGroups) != fmt.Sprint(before.PortGroups) || !after.Active {
		t.Fatalf("not restored: hn-bad %v, hn-rb before %+v after %+v", st.Find("hn-bad"), before, after)
	}
	if x := networkXML(t, c, "hn-rb", 0); !strings.Contains(x, "p1") || strings.Contains(x, "p2") {
		t.Fatalf("running hn-rb not restored:\n%s", x)
	}
}

// TestScale500 registers 500 networks, one per VLAN bridge (for_each), and re-applies.
// Figures go to BENCHMARKS.md ("libvirt networks").
func TestScale500(t *testing.T) {
	const n = 500
	c := connect(t)
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("br%d", 100+i)
	}
	t0 := time.Now()
	addBridges(t, names...)
	tBridges := time.Since(t0)
	t.Cleanup(func() { destroyAll(t, c) })
	nets := desired(t, fmt.Sprintf(`
bridge "tenant" {
  for_each = range(100, %d)
  name     = "br${each.value}"
}
libvirt_network "tenant" {
  for_each  = bridge.tenant
  bridge    = each.value
  autostart = true
}`, 100+n))
	if len(nets) != n {
		t.Fatalf("%d networks", len(nets))
	}
	c.ResetCalls()
	t1 := time.Now()
	ch := apply(t, c, nets)
	tApply := time.Since(t1)
	calls := c.Calls()
	if len(ch.Changes) != n {
		t.Fatalf("%d changes", len(ch.Changes))
	}
	st := mustRead(t, c)
	if len(st.Owned()) != n {
		t.Fatalf("%d owned networks after apply", len(st.Owned()))
	}
	for _, l := range st.Owned() {
		if !l.Active || !l.Autostart {
			t.Fatalf("%s: active %v autostart %v", l.Name, l.Active, l.Autostart)
		}
	}
	t2 := time.Now()
	reapplyWritesNothing(t, c, nets)
	tNoop := time.Since(t2)
	noop := c.Calls()
	t3 := time.Now()
	destroyAll(t, c)
	tDestroy := time.Since(t3)
	t.Logf("BENCH libvirt networks n=%d: %d bridges by netlink %v; first apply %v (%d reads, %d writes); no-op re-apply %v (%d reads, 0 writes); destroy %v",
		n, n, tBridges.Round(time.Millisecond), tApply.Round(time.Millisecond), calls.Reads, calls.Writes,
		tNoop.Round(time.Millisecond), noop.Reads, tDestroy.Round(time.Millisecond))
}
