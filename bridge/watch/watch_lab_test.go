//go:build lab

package watch

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hostnet/hostnet/bridge"
	"github.com/hostnet/hostnet/hostnet/lab/probe"
	"github.com/hostnet/hostnet/hostnet/lab/topo"
	"github.com/vishvananda/netlink"
)

// syncBuffer is a log sink shared by the watcher's goroutines and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Lines(substr string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, l := range strings.Split(s.b.String(), "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return out
}

// activeBackupPrimary is the reference hypervisor with bond0
// active-backup, miimon 10, primary eth0, active on eth0.
func activeBackupPrimary(t *testing.T) *topo.Reference {
	t.Helper()
	eth0 := -1
	r, err := topo.NewReference("", func(b *netlink.Bond) {
		b.Mode, b.Miimon = netlink.BOND_MODE_ACTIVE_BACKUP, 10
		// The NICs exist by now; the kernel records the primary by name
		// and applies it when eth0 is enslaved.
		if l, err := netlink.LinkByName("eth0"); err == nil {
			b.Primary, eth0 = l.Attrs().Index, l.Attrs().Index
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	primary, _ := os.ReadFile("/sys/class/net/bond0/bonding/primary")
	if err := topo.WaitActive("bond0", "eth0", 3*time.Second); err != nil || eth0 < 0 || string(primary) != "eth0\n" {
		r.Close()
		t.Fatalf("primary %q (eth0 is %d): %v", primary, eth0, err)
	}
	return r
}

func startWatcher(t *testing.T, log *syncBuffer) context.CancelFunc {
	t.Helper()
	w, err := New(Config{Bonds: []string{"bond0"}, Logger: slog.New(slog.NewTextHandler(log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("watcher: %v", err)
		}
	}
}

func mustPing(t *testing.T, from *topo.Host, dst string) {
	t.Helper()
	p, err := from.PingRecord(context.Background(), dst, 3, 10*time.Millisecond, time.Second)
	if err != nil {
		t.Fatalf("%s -> %s: %v", from.Name, dst, err)
	}
	if p.Received() == 0 {
		t.Fatalf("%s -> %s: %d/%d", from.Name, dst, p.Received(), len(p.Sent))
	}
}

// learning is a learning frame as the switch side sees it.
type learning struct {
	kind string // "rarp" or "garp"
	src  string
	ip   string // garp: the announced address
	vlan uint16
}

func (l learning) String() string {
	s := fmt.Sprintf("%s %s vlan %d", l.kind, l.src, l.vlan)
	if l.ip != "" {
		s += " " + l.ip
	}
	return s
}

// learningFrames picks out RARPs and gratuitous ARPs (sender IP = target
// IP) and counts each.
func learningFrames(fs []probe.Captured) map[learning]int {
	out := map[learning]int{}
	for _, f := range fs {
		d := f.Data
		if len(d) < 42 {
			continue
		}
		src := net.HardwareAddr(d[6:12]).String()
		switch binary.BigEndian.Uint16(d[12:]) {
		case etherTypeRARP:
			out[learning{"rarp", src, "", f.VLAN}]++
		case etherTypeARP:
			if binary.BigEndian.Uint16(d[20:]) == 1 && bytes.Equal(d[28:32], d[38:42]) {
				out[learning{"garp", src, net.IP(d[28:32]).String(), f.VLAN}]++
			}
		}
	}
	return out
}

func keys(m map[learning]int) string {
	var s []string
	for k, n := range m {
		s = append(s, fmt.Sprintf("%v x%d", k, n))
	}
	sort.Strings(s)
	return strings.Join(s, "\n\t")
}

// TestAnnounceOnFailover: with a guest behind br0 (untagged) and one
// behind br100 on bond0.100, each failover and failback makes the watcher
// send, once, a RARP for each guest MAC and each bridge MAC (tagged 100
// for br100's side) and a gratuitous ARP for each address the host knows;
// nothing for the remote's MAC (learned through the bond); one log line per
// failover.
func TestAnnounceOnFailover(t *testing.T) {
	r := activeBackupPrimary(t)
	defer r.Close()
	vlan := &netlink.Vlan{LinkAttrs: netlink.LinkAttrs{Name: "bond0.100", ParentIndex: r.Bond.Attrs().Index}, VlanId: 100}
	if err := netlink.LinkAdd(vlan); err != nil {
		t.Fatal(err)
	}
	defer netlink.LinkDel(vlan)
	// br100 belongs to the topology, which deletes it.
	if _, err := r.AddBridge("br100", "203.0.113.10/24", "bond0.100"); err != nil {
		t.Fatal(err)
	}
	guest2, err := r.AddGuest("guest2", "203.0.113.30/24", "br100")
	if err != nil {
		t.Fatal(err)
	}
	// The bridges learn both guests, the host learns their IPs, br0
	// learns the remote through the bond.
	mustPing(t, r.Root(), topo.GuestIP)
	mustPing(t, r.Root(), "203.0.113.30")
	mustPing(t, r.Remote, topo.HostIP)
	br0, _ := netlink.LinkByName("br0")
	br100, _ := netlink.LinkByName("br100")
	want := map[learning]int{
		{"rarp", r.Guest.MAC.String(), "", 0}:                              1,
		{"garp", r.Guest.MAC.String(), topo.GuestIP, 0}:                    1,
		{"rarp", guest2.MAC.String(), "", 100}:                             1,
		{"garp", guest2.MAC.String(), "203.0.113.30", 100}:                 1,
		{"rarp", br0.Attrs().HardwareAddr.String(), "", 0}:                 1,
		{"garp", br0.Attrs().HardwareAddr.String(), topo.HostIP, 0}:        1,
		{"rarp", br100.Attrs().HardwareAddr.String(), "", 100}:             1,
		{"garp", br100.Attrs().HardwareAddr.String(), "203.0.113.10", 100}: 1,
	}

	log := &syncBuffer{}
	stop := startWatcher(t, log)
	defer stop()
	for i, step := range []struct {
		name   string
		act    func(string) error
		active string
	}{
		{"failover", r.CutNIC, "eth1"},
		{"failback", r.RestoreNIC, "eth0"},
	} {
		c, err := probe.StartCapture(r.Remote, "eth0")
		if err != nil {
			t.Fatal(err)
		}
		if err := step.act("eth0"); err != nil {
			t.Fatal(err)
		}
		if err := topo.WaitActive("bond0", step.active, 3*time.Second); err != nil {
			t.Fatal(err)
		}
		// Wait for every expected frame (a loaded machine may be slow), then a little
		// longer to catch duplicates, which would fail the exact counts below.
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if hasAll(learningFrames(c.Frames()), want) {
				break
			}
		}
		time.Sleep(300 * time.Millisecond)
		c.Stop()
		got := learningFrames(c.Frames())
		for k, n := range got {
			if k.src == r.Remote.MAC.String() {
				t.Errorf("%s: announced the remote's MAC: %v x%d", step.name, k, n)
			}
			if k.kind == "rarp" && want[k] == 0 {
				t.Errorf("%s: unexpected RARP %v", step.name, k)
			}
		}
		for k, n := range want {
			if got[k] != n {
				t.Errorf("%s: %v seen %d times, want %d", step.name, k, got[k], n)
			}
		}
		t.Logf("%s: learning frames at the remote:\n\t%s", step.name, keys(got))
		if lines := log.Lines("announced"); len(lines) != i+1 {
			t.Errorf("%s: %d announcement lines so far, want %d:\n%s", step.name, len(lines), i+1, strings.Join(lines, "\n"))
		} else {
			t.Logf("%s: log: %s", step.name, lines[i])
		}
	}
}

func hasAll(got, want map[learning]int) bool {
	for k, n := range want {
		if got[k] < n {
			return false
		}
	}
	return true
}

// TestKernelFailoverEvent checks the decoding against the real kernel: a
// failover of an active-backup bond under a bridge arrives on our socket
// as RTM_NEWLINK with IFLA_EVENT = BONDING_FAILOVER and the new active
// slave in IFLA_BOND_ACTIVE_SLAVE.
func TestKernelFailoverEvent(t *testing.T) {
	r := activeBackupPrimary(t)
	defer r.Close()
	ev, err := openLinkEvents()
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	eth1, _ := netlink.LinkByName("eth1")
	if err := r.CutNIC("eth0"); err != nil {
		t.Fatal(err)
	}
	defer r.RestoreNIC("eth0")
	seen := map[uint32]linkMsg{}
	timeout := time.AfterFunc(2*time.Second, func() { ev.Close() })
	defer timeout.Stop()
	for seen[iflaEventBondingFailover].Index == 0 {
		b, err := ev.Read()
		if err != nil {
			t.Fatalf("no BONDING_FAILOVER event for bond0 (seen %+v): %v", seen, err)
		}
		for _, m := range b.links {
			if m.Index == r.Bond.Attrs().Index && m.Event != 0 {
				seen[m.Event] = m
			}
		}
	}
	if m := seen[iflaEventBondingFailover]; m.Kind != "bond" || m.ActiveSlave != eth1.Attrs().Index || m.Name != "bond0" {
		t.Errorf("failover event %+v, want bond0 with active slave eth1 (%d)", m, eth1.Attrs().Index)
	}
	t.Logf("events: %+v", seen)
}

// failbackRun measures one failback of bond0 to eth0 while the remote
// pings the idle guest every 2 ms: the cut of eth0 moves the guest's MAC
// to eth1's switch port (its replies leave there); the restore makes the
// bond fail back to eth0 (primary) while the switch still sends the guest's
// traffic to eth1, where the bond now drops it. It returns the longest
// inbound gap that ends after the restore (or runs to the end: !recovered)
// and the requests lost after the restore.
func failbackRun(t *testing.T, r *topo.Reference, bound time.Duration) (gap time.Duration, lost int, recovered bool) {
	t.Helper()
	pinger, err := r.Remote.StartPing(topo.GuestIP, 0, 2*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer pinger.Stop(0)
	time.Sleep(200 * time.Millisecond)
	if err := r.CutNIC("eth0"); err != nil {
		t.Fatal(err)
	}
	if err := topo.WaitActive("bond0", "eth1", 3*time.Second); err != nil {
		t.Fatal(err)
	}
	// Wait for the switch to have the guest on eth1's port.
	for deadline := time.Now().Add(3 * time.Second); ; {
		if p, _ := r.SwitchPortOf(r.Guest.MAC); p == r.NICPort("eth1") {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("after the cut the switch has the guest on %q, want %s", p, r.NICPort("eth1"))
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	restored := time.Now()
	if err := r.RestoreNIC("eth0"); err != nil {
		t.Fatal(err)
	}
	if err := topo.WaitActive("bond0", "eth0", 3*time.Second); err != nil {
		t.Fatal(err)
	}
	failedBack := time.Since(restored)
	// Stop bound after the restore, or 500 ms after the switch has the
	// guest back on eth0's port.
	for deadline := restored.Add(bound); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if p, _ := r.SwitchPortOf(r.Guest.MAC); p == r.NICPort("eth0") {
			time.Sleep(500 * time.Millisecond)
			break
		}
	}
	p := pinger.Stop(200 * time.Millisecond)
	gap, recovered = p.GapAfter(restored)
	lost = p.LostAfter(restored)
	port, _ := r.SwitchPortOf(r.Guest.MAC)
	t.Logf("failed back to eth0 %v after the restore; inbound gap %v (recovered %v), lost %d of %d requests sent after the restore; switch has the guest on %q",
		failedBack.Round(time.Millisecond), gap.Round(time.Millisecond), recovered, lost, p.SentAfter(restored), port)
	return gap, lost, recovered
}

// idleGuestRig is the failback bench: active-backup, miimon 10, primary
// eth0; the switch's MAC ageing at the usual 300 s; the guest never
// transmits on its own (no IPv6, static ARP entries on both ends), so
// only the remote's requests and the guest's replies cross the switch.
func idleGuestRig(t *testing.T) *topo.Reference {
	t.Helper()
	r := activeBackupPrimary(t)
	err := r.Switch().Do(func() error {
		sw, err := netlink.LinkByName(topo.SwitchBridge)
		if err == nil {
			err = bridge.SetAgeingTime(sw, 300*time.Second)
		}
		return err
	})
	for _, k := range []string{"all", "default", "eth0"} {
		if err == nil {
			err = r.Guest.Sysctl("net/ipv6/conf/"+k+"/disable_ipv6", "1")
		}
	}
	if err == nil {
		err = r.Remote.StaticNeigh("eth0", topo.GuestIP, r.Guest.MAC)
	}
	if err == nil {
		err = r.Guest.StaticNeigh("eth0", topo.RemoteIP, r.Remote.MAC)
	}
	if err != nil {
		r.Close()
		t.Fatal(err)
	}
	mustPing(t, r.Remote, topo.GuestIP)
	return r
}

// TestFailbackIdleGuest measures the inbound outage of an idle guest when
// the bond fails back, without and with the watcher (BENCHMARKS.md,
// "Failback to an idle guest"). Without it the switch keeps sending to the
// port the bond no longer listens on until the guest transmits or the
// entry ages (300 s): the test gives up after failbackBound. With it the
// RARP for the guest's MAC moves the entry at once.
func TestFailbackIdleGuest(t *testing.T) {
	const failbackBound = 10 * time.Second
	const runsWithWatch = 5
	t.Run("without watch", func(t *testing.T) {
		r := idleGuestRig(t)
		defer r.Close()
		gap, lost, recovered := failbackRun(t, r, failbackBound)
		fig := gap.Round(time.Millisecond).String()
		if !recovered {
			fig = "> " + failbackBound.String()
		}
		t.Logf("FIGURE without watch: inbound gap %s, %d requests lost", fig, lost)
		if recovered && gap < time.Second {
			t.Errorf("the idle guest recovered in %v without the watcher: the bench no longer reproduces the stale switch entry", gap)
		}
	})
	t.Run("with watch", func(t *testing.T) {
		r := idleGuestRig(t)
		defer r.Close()
		log := &syncBuffer{}
		stop := startWatcher(t, log)
		defer stop()
		var gaps []time.Duration
		for i := 0; i < runsWithWatch; i++ {
			gap, _, recovered := failbackRun(t, r, failbackBound)
			if !recovered {
				for _, l := range log.Lines("") {
					t.Log(l) // what the watcher saw and sent, to tell a missed event from a lost frame
				}
				t.Fatalf("run %d: no recovery within %v with the watcher", i, failbackBound)
			}
			gaps = append(gaps, gap)
		}
		for _, l := range log.Lines("announced") {
			t.Log(l)
		}
		sort.Slice(gaps, func(i, j int) bool { return gaps[i] < gaps[j] })
		med := gaps[len(gaps)/2]
		t.Logf("FIGURE with watch: inbound gap median %v, min %v, max %v over %d failbacks", med.Round(time.Millisecond),
			gaps[0].Round(time.Millisecond), gaps[len(gaps)-1].Round(time.Millisecond), len(gaps))
		// The target (<= 100 ms) is a measurement, recorded in BENCHMARKS.md; the test only
		// asserts what the watcher does: recovery in a small fraction of the > 10 s without
		// it, with a margin wide enough for a loaded machine.
		if med > 2*time.Second {
			t.Errorf("median inbound gap %v with the watcher: the announcements do not move the switch entry", med)
		}
	})
}

// TestAnnounceBounds: Announce on demand respects MaxFrames (the rest is
// counted as skipped, logged as incomplete, and not sent) and FramesPerMs.
func TestAnnounceBounds(t *testing.T) {
	r := activeBackupPrimary(t)
	defer r.Close()
	mustPing(t, r.Root(), topo.GuestIP) // br0 learns the guest, the host its IP
	for _, tc := range []struct {
		name          string
		max, perMs    int
		sent, skipped int
		minTook       time.Duration
	}{
		// guest: RARP + GARP, br0: RARP + GARP
		{"unbounded", 0, 0, 4, 0, 0},
		{"max 3 frames", 3, 0, 3, 1, 0},
		{"one frame per ms", 0, 1, 4, 0, 3 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := &syncBuffer{}
			w, err := New(Config{Bonds: []string{"bond0"}, MaxFrames: tc.max, FramesPerMs: tc.perMs,
				Logger: slog.New(slog.NewTextHandler(log, nil))})
			if err != nil {
				t.Fatal(err)
			}
			defer w.events.Close()
			c, err := probe.StartCapture(r.Remote, "eth0")
			if err != nil {
				t.Fatal(err)
			}
			st, err := w.Announce("bond0")
			time.Sleep(200 * time.Millisecond)
			c.Stop()
			if err != nil {
				t.Fatal(err)
			}
			got := 0
			for _, n := range learningFrames(c.Frames()) {
				got += n
			}
			if st.MACs != 2 || st.RARP+st.GARP != tc.sent || st.Skipped != tc.skipped || got != tc.sent || st.Took < tc.minTook {
				t.Errorf("stats %+v, %d learning frames at the remote; want %d sent, %d skipped, took >= %v", st, got, tc.sent, tc.skipped, tc.minTook)
			}
			lines := log.Lines("watch:")
			if len(lines) != 1 || (tc.skipped > 0) != strings.Contains(lines[0], "incomplete") || !strings.Contains(lines[0], "trigger=manual") {
				t.Errorf("log: %q", lines)
			}
		})
	}
	if _, err := (&Watcher{}).Announce("eth0"); err == nil {
		t.Error("Announce on a non-bond succeeded")
	}
}
