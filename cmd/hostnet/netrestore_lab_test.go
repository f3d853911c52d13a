//go:build lab

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hostnet/hostnet/hostnet/lab/labvirt"
	"github.com/hostnet/hostnet/libvirtnet"
)

// guestsNetPlan is basePlan with a libvirt network on br0; guestsNetChangedPlan is changedPlan, which
// drops that network and adds one on br20, a bridge the apply creates.
const guestsNetPlan = basePlan + `
libvirt_network "guests" {
  name   = "hn-guests"
  bridge = bridge.br0
}
`

const guestsNetChangedPlan = changedPlan + `
libvirt_network "t20" {
  name   = "hn-t20"
  bridge = bridge.t["20"]
}
`

// networks is libvirt's networks as "name active autostart bridge" lines, sorted.
func networks(t *testing.T) string {
	t.Helper()
	c, err := libvirtnet.Connect(labvirt.URI)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	st, err := c.Read()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, n := range st.Networks {
		lines = append(lines, fmt.Sprintf("%s active=%v autostart=%v bridge=%s", n.Name, n.Active, n.Autostart, n.Bridge))
	}
	return strings.Join(lines, "\n")
}

// netLab is a safeLab with guestsNetPlan applied (hn-guests on br0, running).
func netLab(t *testing.T) *safeLab {
	t.Helper()
	l := newSafeLab(t)
	d := filepath.Dir(l.files["base"])
	for name, text := range map[string]string{"net": guestsNetPlan, "netchanged": guestsNetChangedPlan} {
		l.files[name] = filepath.Join(d, name+".hcl")
		if err := os.WriteFile(l.files[name], []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { hostnet(t, l.dir, nil, "destroy", "--auto-approve", l.files["netchanged"]) })
	if code, out := hostnet(t, l.dir, nil, "apply", "--auto-approve", l.files["net"]); code != 0 {
		t.Fatalf("apply with a network: exit %d\n%s", code, out)
	}
	if n := networks(t); !strings.Contains(n, "hn-guests active=true") {
		t.Fatalf("hn-guests not running:\n%s", n)
	}
	return l
}

// Finding 4: the dead-man restore covers libvirt networks: an unconfirmed apply that
// removed hn-guests and added hn-t20 on a new bridge is undone in libvirt too (hn-guests
// back and running, hn-t20 gone: no network left on the missing br20); and a destroy while
// the confirmation is pending is refused before it removes any network.
func TestCLIDeadmanRestoresLibvirtNetworks(t *testing.T) {
	l := netLab(t)
	pre, preNets := normalized(t), networks(t)
	const timer = 8 * time.Second
	cmd, _, out := l.startDeadmanApply(t, "netchanged", timer.String())
	cmd.Wait()
	if n := networks(t); !strings.Contains(n, "hn-t20 active=true") || strings.Contains(n, "hn-guests") {
		t.Fatalf("the apply did not change the networks:\n%s\n%s", n, out)
	}
	if code, o := hostnet(t, l.dir, nil, "destroy", "--auto-approve", l.files["netchanged"]); code != 1 || !strings.Contains(o, "confirmation is pending") {
		t.Errorf("destroy during the pending confirmation: exit %d\n%s", code, o)
	}
	if n := networks(t); !strings.Contains(n, "hn-t20 active=true") {
		t.Fatalf("the refused destroy removed a network:\n%s", n)
	}
	l.waitGone(t, timer+30*time.Second)
	if d := lineDiff(pre, normalized(t)); d != "" {
		t.Errorf("kernel not restored:\n%s", d)
	}
	if n := networks(t); n != preNets {
		log, _ := os.ReadFile(filepath.Join(l.dir, "watchdog.log"))
		t.Fatalf("libvirt not restored:\n%s\nwant:\n%s\n%s", n, preNets, log)
	}
}

// The kill -9 suite over libvirt networks: destroy is killed before each of its kernel
// operations (its network is already gone by then), and apply before each of its libvirt
// writes; `hostnet rollback` brings back the kernel and libvirt exactly, every time.
func TestCLICrashWithLibvirtNetworks(t *testing.T) {
	l := netLab(t)
	pre, preNets := normalized(t), networks(t)
	check := func(what string) {
		t.Helper()
		if code, out := hostnet(t, l.dir, nil, "rollback"); code != 0 {
			t.Fatalf("%s: rollback: exit %d\n%s", what, code, out)
		}
		if d := lineDiff(pre, normalized(t)); d != "" {
			t.Fatalf("%s: kernel not restored:\n%s", what, d)
		}
		if n := networks(t); n != preNets {
			t.Fatalf("%s: libvirt not restored:\n%s\nwant:\n%s", what, n, preNets)
		}
	}
	tried := 0
	for k := 1; k <= 3; k++ {
		code, out := hostnet(t, l.dir, []string{fmt.Sprintf("%s=%d", envCrashAt, k)}, "destroy", "--auto-approve", l.files["net"])
		if code != -1 {
			t.Fatalf("destroy k=%d was not killed: exit %d\n%s", k, code, out)
		}
		check(fmt.Sprintf("destroy killed before kernel operation %d", k))
		tried++
	}
	for k := 1; ; k++ {
		code, out := hostnet(t, l.dir, []string{fmt.Sprintf("%s=%d", envCrashLibvirtAt, k)}, "apply", "--auto-approve", l.files["netchanged"])
		if code == 0 {
			// k-1 writes were all the apply makes: back to the start for the next test.
			if code, out := hostnet(t, l.dir, nil, "apply", "--auto-approve", l.files["net"]); code != 0 {
				t.Fatalf("back to net: %s", out)
			}
			break
		}
		if code != -1 {
			t.Fatalf("apply k=%d: exit %d\n%s", k, code, out)
		}
		check(fmt.Sprintf("apply killed before libvirt write %d", k))
		tried++
	}
	t.Logf("kill -9 points with libvirt networks: %d, each rolled back exactly", tried)
}

// The fault-injection suite over libvirt networks: destroy removes hn-guests, then its k-th
// kernel operation fails, for every k: the restore brings back the kernel and the network
// exactly. apply's k-th libvirt write fails, for every k: the networks are put back exactly
// (the host part stays applied, as the apply reports).
func TestCLIFaultWithLibvirtNetworks(t *testing.T) {
	l := netLab(t)
	pre, preNets := normalized(t), networks(t)
	tried := 0
	for k := 1; ; k++ {
		code, out := hostnet(t, l.dir, []string{fmt.Sprintf("%s=%d", envFailAt, k)}, "destroy", "--auto-approve", l.files["net"])
		if code == 0 {
			break // past the last operation: the destroy went through
		}
		if code != 1 || !strings.Contains(out, "injected fault") {
			t.Fatalf("destroy k=%d: exit %d\n%s", k, code, out)
		}
		if d := lineDiff(pre, normalized(t)); d != "" {
			t.Fatalf("destroy failing at kernel operation %d: kernel not restored:\n%s\n%s", k, d, out)
		}
		if n := networks(t); n != preNets {
			t.Fatalf("destroy failing at kernel operation %d: libvirt not restored:\n%s\nwant:\n%s\n%s", k, n, preNets, out)
		}
		tried++
	}
	if code, out := hostnet(t, l.dir, nil, "apply", "--auto-approve", l.files["net"]); code != 0 {
		t.Fatalf("back to net: %s", out)
	}
	pre, preNets = normalized(t), networks(t)
	for k := 1; ; k++ {
		code, out := hostnet(t, l.dir, []string{fmt.Sprintf("%s=%d", envFailLibvirtAt, k)}, "apply", "--auto-approve", l.files["netchanged"])
		if code == 0 {
			break
		}
		if code != 1 || !strings.Contains(out, "injected fault") || !strings.Contains(out, "put back") {
			t.Fatalf("apply k=%d: exit %d\n%s", k, code, out)
		}
		if n := networks(t); n != preNets {
			t.Fatalf("apply failing at libvirt write %d: networks not put back:\n%s\nwant:\n%s\n%s", k, n, preNets, out)
		}
		if code, out := hostnet(t, l.dir, nil, "apply", "--auto-approve", l.files["net"]); code != 0 {
			t.Fatalf("back to net: %s", out)
		}
		if d := lineDiff(pre, normalized(t)); d != "" {
			t.Fatalf("back to net after k=%d:\n%s", k, d)
		}
		tried++
	}
	t.Logf("fault points with libvirt networks: %d, each restored exactly", tried)
}
