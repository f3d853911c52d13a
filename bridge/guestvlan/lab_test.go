//go:build lab

package guestvlan

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netns"
	"libvirt.org/go/libvirt"

	"github.com/hostnet/hostnet/hostnet/engine"
	"github.com/hostnet/hostnet/hostnet/lab/labvirt"
	"github.com/hostnet/hostnet/hostnet/lab/topo"
	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/plan"
	"github.com/hostnet/hostnet/hostnet/vid"
	"github.com/hostnet/hostnet/libvirtnet"
)

func TestMain(m *testing.M) { labvirt.RunTestMain(m) }

// isolationPlan: an active-backup bond under a VLAN-aware bridge carrying VLANs 10 and 20,
// and a libvirt network on it with one portgroup per VLAN.
const isolationPlan = `
nic "eth0" { mac = "52:54:00:7a:00:01" }
nic "eth1" { mac = "52:54:00:7a:00:02" }
bond "bond0" {
  slaves = [nic.eth0, nic.eth1]
  mode   = "active-backup"
  miimon = 10
}
bridge "vmbr0" {
  ports          = [bond.bond0]
  vlan_filtering = true
  port {
    link = bond.bond0
    vids = [10, 20]
  }
}
libvirt_network "vmbr0" {
  name   = "hn-vlans"
  bridge = bridge.vmbr0
  portgroup {
    name = "vlan10"
    vlan = 10
  }
  portgroup {
    name = "vlan20"
    vlan = 20
  }
}
`

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// lxcGuest starts an LXC domain with eth0 (cidr) on the network's portgroup.
func lxcGuest(t *testing.T, c *libvirt.Connect, name, cidr, portgroup string) {
	t.Helper()
	dom, err := c.DomainCreateXML(fmt.Sprintf(`<domain type='lxc'>
  <name>%s</name>
  <memory unit='MiB'>32</memory>
  <os>
    <type>exe</type>
    <init>/bin/sh</init>
    <initarg>-c</initarg>
    <initarg>ip link set lo up; ip addr add %s dev eth0; ip link set eth0 up; exec sleep 271828</initarg>
  </os>
  <devices>
    <interface type='network'>
      <source network='hn-vlans' portgroup='%s'/>
      <guest dev='eth0'/>
    </interface>
    <console type='pty'/>
  </devices>
</domain>`, name, cidr, portgroup), 0)
	if err != nil {
		b, _ := os.ReadFile("/var/log/libvirt/lxc/" + name + ".log")
		t.Fatalf("start LXC guest %s: %v\n%s", name, err, b)
	}
	t.Cleanup(func() { dom.Destroy(); dom.Free() })
}

// reaches pings dst from h until one reply comes (true) or the bound passes (false).
func reaches(h *topo.Host, dst string, bound time.Duration) bool {
	deadline := time.Now().Add(bound)
	for {
		if _, r, _ := h.Ping(dst, 3, 20*time.Millisecond); r > 0 {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// checkIsolation: each guest answers the remote of its VLAN, not the other one, and the
// guests do not reach each other.
func checkIsolation(t *testing.T, when string, r10, r20 *topo.Host) {
	t.Helper()
	if !reaches(r10, "198.51.100.110", 15*time.Second) {
		t.Fatalf("%s: the remote in VLAN 10 does not reach guest A (VLAN 10)", when)
	}
	if !reaches(r20, "198.51.100.120", 15*time.Second) {
		t.Fatalf("%s: the remote in VLAN 20 does not reach guest B (VLAN 20)", when)
	}
	for _, x := range []struct {
		from     *topo.Host
		to, what string
	}{
		{r10, "198.51.100.120", "the remote in VLAN 10 reaches guest B (VLAN 20)"},
		{r20, "198.51.100.110", "the remote in VLAN 20 reaches guest A (VLAN 10)"},
	} {
		if s, r, _ := x.from.Ping(x.to, 10, 20*time.Millisecond); r != 0 {
			t.Fatalf("%s: %s: %d/%d replies", when, x.what, r, s)
		}
	}
	t.Logf("%s: VLAN 10 remote <-> guest A and VLAN 20 remote <-> guest B answer; across VLANs 0 replies", when)
}

func tapOf(t *testing.T, c *libvirt.Connect, domain string) string {
	t.Helper()
	d, err := c.LookupDomainByName(domain)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Free()
	x, _ := d.GetXMLDesc(0)
	i := strings.Index(x, "<target dev='")
	if i < 0 {
		t.Fatalf("%s has no target dev:\n%s", domain, x)
	}
	x = x[i+len("<target dev='"):]
	return x[:strings.IndexByte(x, '\'')]
}

func portVLANs(t *testing.T, name string) string {
	t.Helper()
	s, err := live.ReadWith(netns.None(), live.ReadOptions{VLANs: true})
	if err != nil {
		t.Fatal(err)
	}
	l := s.Link(name)
	if l == nil {
		t.Fatalf("no link %s", name)
	}
	return l.BridgeVLANs.String()
}

// Two libvirt LXC guests on one VLAN-aware bridge, in VLANs 10 and 20 by their portgroup:
// without the tagger guest A reaches nothing (its port is in VLAN 1); with it each guest
// reaches the remote of its VLAN behind the switch and not the other's, before and after a
// failover of the bond, and again after its port's VLANs are reset as a restore from an
// older snapshot would.
func TestTwoGuestsIsolatedByVLAN(t *testing.T) {
	tp, err := topo.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tp.Close() })
	p, diags := plan.Decode([]plan.Input{{Name: "vlans.hcl", Bytes: []byte(isolationPlan)}}, nil, nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	for _, n := range p.NICs {
		if err := tp.AddNIC(n.Name, n.MAC); err != nil {
			t.Fatal(err)
		}
	}
	r10, err := tp.AddRemoteVLAN("r10", "198.51.100.1/24", 10)
	if err != nil {
		t.Fatal(err)
	}
	r20, err := tp.AddRemoteVLAN("r20", "198.51.100.2/24", 20)
	if err != nil {
		t.Fatal(err)
	}
	s, err := engine.Read(netns.None(), p)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := engine.Diff(p, s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := engine.Apply(context.Background(), netns.None(), ch); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s, err := engine.Read(netns.None(), p); err == nil {
			if ch, err := engine.DestroyChanges(p, s); err == nil {
				engine.Apply(context.Background(), netns.None(), ch)
			}
		}
	})
	desired, err := libvirtnet.Desired(p)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := libvirtnet.Connect(labvirt.URI)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_, nch, err := nc.Plan(desired)
	if err != nil {
		t.Fatal(err)
	}
	if err := libvirtnet.Apply(nc, nch, func(string) bool { return true }); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if st, err := nc.Read(); err == nil {
			libvirtnet.Apply(nc, libvirtnet.DestroyChanges(desired, st), func(string) bool { return true })
		}
	})

	// LXC needs cgroups and FUSE (as in libvirtnet's TestGuestOverBond).
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err != nil {
		os.MkdirAll("/sys/fs/cgroup", 0o755)
		if err := syscall.Mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, ""); err != nil {
			t.Logf("mount cgroup2: %v", err)
		}
	}
	if out, err := exec.Command("modprobe", "fuse").CombinedOutput(); err != nil {
		t.Fatalf("modprobe fuse: %v %s", err, out)
	}
	lc, err := libvirt.NewConnect("lxc:///system")
	if err != nil {
		t.Fatalf("libvirt LXC driver: %v", err)
	}
	t.Cleanup(func() { lc.Close() })

	// Guest A starts before the tagger: its port stays in VLAN 1 and it reaches nothing.
	lxcGuest(t, lc, "hn-a", "198.51.100.110/24", "vlan10")
	tapA := tapOf(t, lc, "hn-a")
	if got := portVLANs(t, tapA); got != "1 pvid untagged" {
		t.Fatalf("guest A's port %s before the tagger: %q, want the kernel's default", tapA, got)
	}
	if s, r, _ := r10.Ping("198.51.100.110", 10, 20*time.Millisecond); r != 0 {
		t.Fatalf("guest A answers in VLAN 10 before its port was tagged: %d/%d", r, s)
	}

	var logs syncBuf
	tg, err := New(Config{Networks: FromPlan(p), URIs: []string{"lxc:///system"},
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tg.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		t.Logf("tagger log:\n%s", logs.String())
	})

	// Guest B starts while the tagger runs: tagged as it joins.
	lxcGuest(t, lc, "hn-b", "198.51.100.120/24", "vlan20")
	tapB := tapOf(t, lc, "hn-b")
	checkIsolation(t, "tagged", r10, r20)
	if a, b := portVLANs(t, tapA), portVLANs(t, tapB); a != "10 pvid untagged" || b != "20 pvid untagged" {
		t.Fatalf("guest ports: %s %q, %s %q", tapA, a, tapB, b)
	}

	// Failover: the active slave's cable is pulled; each guest stays in its VLAN.
	b, err := os.ReadFile("/sys/class/net/bond0/bonding/active_slave")
	if err != nil {
		t.Fatal(err)
	}
	active := strings.TrimSpace(string(b))
	if err := tp.CutNIC(active); err != nil {
		t.Fatal(err)
	}
	checkIsolation(t, "after the failover from "+active, r10, r20)
	if err := tp.RestoreNIC(active); err != nil {
		t.Fatal(err)
	}

	// A restore from a snapshot taken before guest A was tagged puts its port back in VLAN
	// 1; the tagger puts it back in VLAN 10.
	c, err := live.Dial(netns.None())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err = c.ReadWith(live.ReadOptions{VLANs: true})
	if err != nil {
		t.Fatal(err)
	}
	l := s.Link(tapA)
	del, add := live.VLANChange(l.BridgeVLANs, &live.BridgeVLANs{VIDs: vidSet(1), PVID: 1, Untagged: vidSet(1)})
	for _, r := range []live.Request{live.VLANRequest(true, l.Index, false, del), live.VLANRequest(false, l.Index, false, add)} {
		if err := c.Do(r); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for portVLANs(t, tapA) != "10 pvid untagged" {
		if time.Now().After(deadline) {
			t.Fatalf("guest A's port not put back in VLAN 10: %q", portVLANs(t, tapA))
		}
		time.Sleep(20 * time.Millisecond)
	}
	checkIsolation(t, "after guest A's port was reset to VLAN 1", r10, r20)
	if n := strings.Count(logs.String(), "guest port VLANs set"); n < 3 {
		t.Fatalf("tagger logged %d changes, want 3 (A, B, A again):\n%s", n, logs.String())
	}
}

func vidSet(v ...int) (s vid.Set) {
	for _, x := range v {
		s.Add(x)
	}
	return s
}
