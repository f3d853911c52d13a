//go:build lab

package watch

import (
	"flag"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hostnet/hostnet/hostnet/lab/topo"
	"github.com/vishvananda/netlink"
)

var scaleBridges = flag.String("watch.bridges", "1,50", "bridge counts for TestAnnounceScale (BENCHMARKS.md: 1,50,500)")

var tookRE = regexp.MustCompile(`took=(\S+) read=(\S+)`)

// addVLANBridges puts n-1 VLANs of bond0 (ids 100...) each in a bridge of its own, so that
// with br0 the bond reaches n bridges. The VLANs go with bond0; the bridges are removed here.
func addVLANBridges(t *testing.T, n int) {
	t.Helper()
	bond, err := netlink.LinkByName("bond0")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n-1; i++ {
		br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: fmt.Sprintf("brs%d", 100+i)}}
		v := &netlink.Vlan{LinkAttrs: netlink.LinkAttrs{Name: fmt.Sprintf("bond0.%d", 100+i), ParentIndex: bond.Attrs().Index}, VlanId: 100 + i}
		if err := netlink.LinkAdd(br); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { netlink.LinkDel(br) })
		if err := netlink.LinkAdd(v); err != nil {
			t.Fatal(err)
		}
		for _, err := range []error{netlink.LinkSetMaster(v, br), netlink.LinkSetUp(br), netlink.LinkSetUp(v)} {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestAnnounceScale measures one announcement per failover with the bond under 1, 50 (and,
// with -watch.bridges=1,50,500, 500) bridges: br0 with a guest plus VLAN bridges. Five
// failovers and five failbacks each; the figures (how long the announcement took, as the
// watcher logs it, and how often link events were lost) are printed as BENCH lines for
// BENCHMARKS.md. It asserts only that every failover was announced over every bridge.
func TestAnnounceScale(t *testing.T) {
	for _, f := range strings.Split(*scaleBridges, ",") {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			t.Fatalf("-watch.bridges: %q", f)
		}
		t.Run(fmt.Sprintf("bridges=%d", n), func(t *testing.T) {
			r := activeBackupPrimary(t)
			defer r.Close()
			t0 := time.Now()
			addVLANBridges(t, n)
			build := time.Since(t0)
			// The watcher starts before the guest is heard: its MAC reaches the watcher's
			// cache by an FDB event, not by the start-up dump.
			log := &syncBuffer{}
			stop := startWatcher(t, log)
			defer stop()
			mustPing(t, r.Root(), topo.GuestIP)
			var took, read []time.Duration
			wantLines := 0
			for i := 0; i < 5; i++ {
				for _, step := range []struct {
					act    func(string) error
					active string
				}{{r.CutNIC, "eth1"}, {r.RestoreNIC, "eth0"}} {
					if err := step.act("eth0"); err != nil {
						t.Fatal(err)
					}
					if err := topo.WaitActive("bond0", step.active, 5*time.Second); err != nil {
						t.Fatal(err)
					}
					wantLines++
					deadline := time.Now().Add(20 * time.Second)
					for len(log.Lines("announced guest MACs")) < wantLines && time.Now().Before(deadline) {
						time.Sleep(5 * time.Millisecond)
					}
					lines := log.Lines("announced guest MACs")
					if len(lines) < wantLines {
						t.Fatalf("failover %d to %s not announced: %q", i, step.active, log.Lines("watch:"))
					}
					last := lines[len(lines)-1]
					// One (MAC, VLAN) per bridge (br0 and each VLAN bridge) plus the guest's.
					if !strings.Contains(last, fmt.Sprintf("bridges=%d macs=%d ", n, n+1)) {
						t.Errorf("announcement over the wrong bridges or MACs: %s", last)
					}
					if m := tookRE.FindStringSubmatch(last); m != nil {
						d, err1 := time.ParseDuration(m[1])
						rd, err2 := time.ParseDuration(m[2])
						if err1 == nil && err2 == nil {
							took, read = append(took, d), append(read, rd)
						}
					}
					time.Sleep(300 * time.Millisecond) // past the holdoff
				}
			}
			slices.Sort(took)
			slices.Sort(read)
			lost := len(log.Lines("link events lost"))
			t.Logf("BENCH watch bridges=%d announcements=%d took median %v (min %v, max %v) read median %v (min %v, max %v) events-lost=%d build %v",
				n, len(took), took[len(took)/2], took[0], took[len(took)-1], read[len(read)/2], read[0], read[len(read)-1],
				lost, build.Round(time.Millisecond))
		})
	}
}
