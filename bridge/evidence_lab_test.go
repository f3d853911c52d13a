//go:build lab

package bridge

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hostnet/hostnet/hostnet/bonding"
	"github.com/hostnet/hostnet/hostnet/lab/probe"
	"github.com/hostnet/hostnet/hostnet/lab/topo"
	"github.com/vishvananda/netlink"
)

// bondOptions turns a Verdict's Options into bond settings.
var bondOptions = map[string]func(*netlink.Bond){
	"":                             func(*netlink.Bond) {},
	"all_slaves_active=1":          func(b *netlink.Bond) { b.AllSlavesActive = 1 },
	"xmit_hash_policy=vlan+srcmac": func(b *netlink.Bond) { b.XmitHashPolicy = netlink.BOND_XMIT_HASH_POLICY_VLAN_SRCMAC },
}

// mitigations applies a Verdict's Mitigation to the built bench.
var mitigations = map[string]func(r *topo.Reference) error{
	"": func(*topo.Reference) error { return nil },
	MitigationSticky: func(r *topo.Reference) error {
		port, err := netlink.LinkByName("g-guest")
		if err != nil {
			return err
		}
		return AddSticky(port, r.Guest.MAC, 0)
	},
	MitigationNoLearning: func(r *topo.Reference) error {
		f := DefaultPortFlags
		f.Learning = false
		return SetPortFlags(r.Bond, f)
	},
}

// switchLAG is the topo.SetSwitchLAG mode of each switch ("" = none).
var switchLAG = map[Switch]string{
	LearningSwitch: "",
	StaticLAG:      "balance-xor",
	LACPPartner:    "802.3ad",
}

// measured is one cell as seen in the lab, with the raw figures.
type measured struct {
	Verdict
	counts [4]string // "r/s" per direction
	dups   int
	kmsg   []string
}

// TestBridgeOverBondEvidence measures every cell of Evidence: bond0 (two
// NICs, the given mode, miimon 50) under br0 with the host's address, a
// guest behind br0, a remote behind the switch; 20 pings each way between
// guest and remote and between host and remote; duplicates; the kernel
// log during the traffic. It fails when a cell differs from Evidence, so a
// kernel whose behaviour changed cannot keep old verdicts.
func TestBridgeOverBondEvidence(t *testing.T) {
	// The "own address" warning is net_ratelimit()ed (10 per 5 s, for the
	// whole kernel): lift the limit in this throwaway kernel so that a
	// cell's messages do not depend on the cells before it.
	if err := os.WriteFile("/proc/sys/net/core/message_cost", []byte("0"), 0o644); err != nil {
		t.Fatal(err)
	}
	var rows []measured
	for _, want := range Evidence {
		t.Run(strings.NewReplacer(" ", "_", ",", "").Replace(want.Cell()), func(t *testing.T) {
			got, err := measureCell(want)
			if err != nil {
				t.Fatal(err)
			}
			rows = append(rows, got)
			t.Logf("guest->remote %s, remote->guest %s, host->remote %s, remote->host %s, dups %d, kernel: %q",
				got.counts[0], got.counts[1], got.counts[2], got.counts[3], got.dups, got.kmsg)
			for _, c := range []struct {
				what      string
				got, want any
			}{
				{"guest->remote", got.GuestToRemote, want.GuestToRemote},
				{"remote->guest", got.RemoteToGuest, want.RemoteToGuest},
				{"host->remote", got.HostToRemote, want.HostToRemote},
				{"remote->host", got.RemoteToHost, want.RemoteToHost},
				{"duplicates", got.Duplicates, want.Duplicates},
				{"own-address warning", got.OwnAddress, want.OwnAddress},
			} {
				if c.got != c.want {
					t.Errorf("%s: %s is %v, Evidence says %v", want.Cell(), c.what, c.got, c.want)
				}
			}
		})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "findings on %s:\n", Kernel)
	fmt.Fprintln(&b, "| bond mode | switch | guest→remote | remote→guest | host→remote | remote→host | dup replies | kernel messages |")
	fmt.Fprintln(&b, "|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		mode := r.Mode.String()
		if r.Options != "" {
			mode += " " + r.Options
		}
		if r.Mitigation != "" {
			mode += " + " + r.Mitigation
		}
		fmt.Fprintf(&b, "| %d %s | %s | %s | %s | %s | %s | %d | %s |\n", r.Mode, mode, r.Switch,
			r.counts[0], r.counts[1], r.counts[2], r.counts[3], r.dups, strings.Join(r.kmsg, "; "))
	}
	t.Log(b.String())
}

func measureCell(v Verdict) (measured, error) {
	m := measured{Verdict: Verdict{Mode: v.Mode, Options: v.Options, Mitigation: v.Mitigation, Switch: v.Switch}}
	opt, ok := bondOptions[v.Options]
	if !ok {
		return m, fmt.Errorf("no bond settings for options %q", v.Options)
	}
	mitigate, ok := mitigations[v.Mitigation]
	if !ok {
		return m, fmt.Errorf("no mitigation %q", v.Mitigation)
	}
	r, err := topo.NewReference(switchLAG[v.Switch], func(b *netlink.Bond) {
		b.Mode, b.Miimon = netlink.BondMode(v.Mode), 50
		if v.Mode == bonding.LACP {
			b.LacpRate = netlink.BOND_LACP_RATE_FAST
		}
		opt(b)
	})
	if err != nil {
		return m, err
	}
	defer r.Close()
	if v.Switch == LACPPartner {
		if err := topo.WaitLACP("bond0", 2, 30*time.Second); err != nil {
			return m, err
		}
	} else if err := waitCarrier("bond0", 3*time.Second); err != nil {
		return m, err
	}
	if err := mitigate(r); err != nil {
		return m, err
	}
	time.Sleep(200 * time.Millisecond) // miimon 50: let every slave come up

	k, err := probe.OpenKmsg()
	if err != nil {
		return m, err
	}
	defer k.Close()
	dirs := []struct {
		from  *topo.Host
		dst   string
		reach *Reach
	}{
		{r.Guest, topo.RemoteIP, &m.GuestToRemote},
		{r.Remote, topo.GuestIP, &m.RemoteToGuest},
		{r.Root(), topo.RemoteIP, &m.HostToRemote},
		{r.Remote, topo.HostIP, &m.RemoteToHost},
	}
	for i, d := range dirs {
		p, err := d.from.PingRecord(context.Background(), d.dst, 20, 20*time.Millisecond, time.Second)
		if err != nil {
			return m, err
		}
		*d.reach = ReachOf(p.Received(), len(p.Sent))
		m.counts[i] = fmt.Sprintf("%d/%d", p.Received(), len(p.Sent))
		m.dups += p.Dups
	}
	m.Duplicates = m.dups > 0
	msgs, err := k.Read()
	if err != nil {
		return m, err
	}
	m.kmsg = probe.Summarize(msgs, append([]string{"bond0", "br0"}, r.NICs()...)...)
	for _, s := range m.kmsg {
		if strings.Contains(s, "own address as source address") {
			m.OwnAddress = true
		}
	}
	return m, nil
}

func waitCarrier(name string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		l, err := netlink.LinkByName(name)
		if err != nil {
			return err
		}
		if l.Attrs().OperState == netlink.OperUp {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s has no carrier after %v (%s)", name, timeout, l.Attrs().OperState)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
