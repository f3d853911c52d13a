//go:build lab

package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// guestPlan is basePlan with changes that do not touch the guests' path (br0 -> bond0 ->
// NIC -> switch): miimon in place, a second address on br0, a bridge on each VLAN.
const guestPlan = `nic "uplink0" { mac = "52:54:00:00:0d:01" }
nic "uplink1" { mac = "52:54:00:00:0d:02" }

bond "bond0" {
  slaves = [nic.uplink0, nic.uplink1]
  mode   = "active-backup"
  miimon = 50
}

bridge "br0" {
  ports     = [bond.bond0]
  addresses = ["198.51.100.10/24", "198.51.100.11/24"]
  gateway   = "198.51.100.1"
}

vlan "v" {
  for_each = range(10, 12)
  link     = bond.bond0
  id       = each.value
}

bridge "vb" {
  for_each = vlan.v
  name     = "vbr${each.key}"
  ports    = [each.value]
}
`

// portWatch records every kernel event that shows a guest port of br0 going down, leaving
// br0 or being deleted.
type portWatch struct {
	mu     sync.Mutex
	ports  map[int]string
	flaps  []string
	done   chan struct{}
	closed sync.Once
}

func watchPorts(t *testing.T, master int, ports map[int]string) *portWatch {
	t.Helper()
	ch := make(chan netlink.LinkUpdate, 256)
	w := &portWatch{done: make(chan struct{}), ports: ports}
	if err := netlink.LinkSubscribe(ch, w.done); err != nil {
		t.Fatal(err)
	}
	go func() {
		for u := range ch {
			w.mu.Lock()
			name, ok := w.ports[int(u.Index)]
			w.mu.Unlock()
			if !ok {
				continue
			}
			var what string
			switch {
			case u.Header.Type == unix.RTM_DELLINK:
				what = "deleted"
			case u.Flags&unix.IFF_UP == 0:
				what = "set down"
			case u.Attrs().MasterIndex != master:
				what = "left br0"
			default:
				continue
			}
			w.mu.Lock()
			w.flaps = append(w.flaps, name+" "+what)
			w.mu.Unlock()
		}
	}()
	t.Cleanup(w.stop)
	return w
}

func (w *portWatch) stop() { w.closed.Do(func() { close(w.done) }) }

// forget stops watching the port with ifindex idx.
func (w *portWatch) forget(idx int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.ports, idx)
}

// withoutGuests drops the lines of a normalized dump that are about the guests' ports.
func withoutGuests(lines []string) []string {
	var out []string
	for _, l := range lines {
		if !strings.Contains(l, "g-guest") {
			out = append(out, l)
		}
	}
	return out
}

func (w *portWatch) seen() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.flaps...)
}

// Guest ports that something else (libvirt, a container runtime) attached to a planned
// bridge are not hostnet's: an apply, a re-apply and a restore (rollback of a
// --confirm-within apply) never delete, take down or move them, also when a guest starts or
// stops in between, and a guest's traffic through the bridge keeps flowing throughout.
// (ifupdown2's reload is known to flap such ports.)
func TestCLIGuestPortsLeftAlone(t *testing.T) {
	l := newSafeLab(t)
	l.files["guest"] = filepath.Join(filepath.Dir(l.files["base"]), "guest.hcl")
	if err := os.WriteFile(l.files["guest"], []byte(guestPlan), 0o644); err != nil {
		t.Fatal(err)
	}
	guest, err := l.tp.AddGuest("guesta", "198.51.100.30/24", "br0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.tp.AddGuest("guestc", "198.51.100.32/24", "br0"); err != nil {
		t.Fatal(err)
	}
	br0, err := netlink.LinkByName("br0")
	if err != nil {
		t.Fatal(err)
	}
	ports := map[int]string{}
	index := map[string]int{}
	for _, n := range []string{"g-guesta", "g-guestc"} {
		p, err := netlink.LinkByName(n)
		if err != nil {
			t.Fatal(err)
		}
		ports[p.Attrs().Index], index[n] = n, p.Attrs().Index
	}
	watch := watchPorts(t, br0.Attrs().Index, ports)
	pinger, err := guest.StartPing("198.51.100.1", 0, 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer pinger.Stop(0)
	run := func(want string, args ...string) {
		t.Helper()
		code, out := hostnet(t, l.dir, nil, args...)
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("hostnet %s: exit %d, output lacks %q:\n%s", strings.Join(args, " "), code, want, out)
		}
		t.Logf("hostnet %s:\n%s", strings.Join(args, " "), out)
	}

	run("Apply complete", "apply", "--auto-approve", l.files["guest"])
	run("No changes", "apply", "--auto-approve", l.files["guest"])
	before := normalized(t)

	// An apply to be rolled back; while it waits for confirmation guest C stops and guest
	// B starts on br0.
	l.startDeadmanApply(t, "base", "60s")
	watch.forget(index["g-guestc"]) // its deletion is the guest's stop, not hostnet's doing
	if err := netlink.LinkDel(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "g-guestc"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.tp.AddGuest("guestb", "198.51.100.31/24", "br0"); err != nil {
		t.Fatal(err)
	}
	gb, err := netlink.LinkByName("g-guestb")
	if err != nil {
		t.Fatal(err)
	}
	run("Rolled back", "rollback")
	l.waitGone(t, 10*time.Second)

	pings := pinger.Stop(time.Second)
	watch.stop()
	if f := watch.seen(); len(f) > 0 {
		t.Errorf("guest ports flapped: %v", f)
	}
	for idx, name := range map[int]string{index["g-guesta"]: "g-guesta", gb.Attrs().Index: "g-guestb"} {
		p, err := netlink.LinkByIndex(idx)
		if err != nil || p.Attrs().Name != name || p.Attrs().MasterIndex != br0.Attrs().Index || p.Attrs().Flags&net.FlagUp == 0 {
			t.Errorf("%s (ifindex %d) after the rollback: %v %v", name, idx, p, err)
		}
	}
	if lost := len(pings.Sent) - pings.Received(); lost > 0 || len(pings.Sent) == 0 {
		t.Errorf("guest A's pings through br0: %d sent, %d lost", len(pings.Sent), lost)
	}
	t.Logf("guest A: %d pings, %d answered, longest gap %v", len(pings.Sent), pings.Received(), pings.MaxGap())
	// The rollback put back what guestPlan made (the guests' ports aside).
	if d := lineDiff(withoutGuests(before), withoutGuests(normalized(t))); d != "" {
		t.Errorf("rollback did not restore the applied state:\n%s", d)
	}
}
