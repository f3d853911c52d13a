//go:build lab

package status

import (
	"context"
	"encoding/json"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netns"

	"github.com/hostnet/hostnet/hostnet/engine"
	"github.com/hostnet/hostnet/hostnet/lab"
	"github.com/hostnet/hostnet/hostnet/lab/topo"
	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/plan"
)

func TestMain(m *testing.M) { lab.RunTestMain(m) }

func apply(t *testing.T, src string, lag string) *topo.Topology {
	t.Helper()
	p, diags := plan.Decode([]plan.Input{{Name: "plan.hcl", Bytes: []byte(src)}}, nil, nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	tp, err := topo.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tp.Close() })
	if lag != "" {
		if err := tp.SetSwitchLAG(lag); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range p.NICs {
		if err := tp.AddNIC(n.Name, n.MAC); err != nil {
			t.Fatal(err)
		}
	}
	s, err := live.Read(netns.None())
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
	return tp
}

func report(t *testing.T) *Report {
	t.Helper()
	s, err := live.Read(netns.None())
	if err != nil {
		t.Fatal(err)
	}
	return Build(s, nil)
}

const lacpPlan = `nic "eth0" { mac = "52:54:00:00:0d:01" }
nic "eth1" { mac = "52:54:00:00:0d:02" }
bond "bond0" {
  slaves    = [nic.eth0, nic.eth1]
  mode      = "802.3ad"
  lacp_rate = "fast"
}
`

// With an LACP partner on the switch, status names it; without one it says so.
func TestStatusLACPPartner(t *testing.T) {
	for _, tt := range []struct {
		lag     string
		partner bool
	}{{"802.3ad", true}, {"", false}} {
		t.Run("switch="+tt.lag, func(t *testing.T) {
			apply(t, lacpPlan, tt.lag)
			var r *Report
			deadline := time.Now().Add(20 * time.Second)
			for {
				r = report(t)
				if l := r.Bonds[0].LACP; l != nil && l.PartnerFound == tt.partner && (!tt.partner || l.Ports == 2 && distributing(r.Bonds[0]) == 2) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("lacp status %+v, want partner found = %v", r.Bonds[0].LACP, tt.partner)
				}
				time.Sleep(250 * time.Millisecond)
			}
			var text strings.Builder
			WriteText(&text, r)
			want := "NO PARTNER"
			if tt.partner {
				want = "partner " + r.Bonds[0].LACP.PartnerMAC
				if _, err := net.ParseMAC(r.Bonds[0].LACP.PartnerMAC); err != nil {
					t.Fatal(err)
				}
			}
			if !strings.Contains(text.String(), want) {
				t.Fatalf("status text lacks %q:\n%s", want, text.String())
			}
			// Per port: with a partner both ports collect and distribute; without one
			// neither does, and the actor runs on defaulted partner values.
			for _, sl := range r.Bonds[0].Slaves {
				l := sl.LACP
				if l == nil || l.Distributing != tt.partner || slices.Contains(l.Actor, "defaulted") == tt.partner ||
					slices.Contains(l.Actor, "distributing") != tt.partner {
					t.Errorf("slave %s lacp %+v", sl.Name, l)
				}
			}
			wantPort := "lacp actor active,short_timeout,aggregation,in_sync,collecting,distributing  partner active,short_timeout,aggregation,in_sync,collecting,distributing"
			if !tt.partner {
				wantPort = ",defaulted"
			}
			if !strings.Contains(text.String(), wantPort) {
				t.Errorf("status text lacks %q:\n%s", wantPort, text.String())
			}
			js, _ := json.Marshal(r.Bonds[0].Slaves[0])
			if !strings.Contains(string(js), `"lacp":{"actor":[`) {
				t.Errorf("JSON lacks the port's LACP state: %s", js)
			}
		})
	}
}

func distributing(b Bond) int {
	n := 0
	for _, s := range b.Slaves {
		if s.LACP != nil && s.LACP.Distributing {
			n++
		}
	}
	return n
}

// Link monitoring details: updelay/downdelay with MII monitoring; ARP and NS targets and
// arp_validate with ARP monitoring, in the text and the JSON.
func TestStatusMonitoring(t *testing.T) {
	for _, tt := range []struct {
		name, opts string
		text, json []string
	}{
		{"mii", `miimon = 100
  updelay = 200
  downdelay = 300`,
			[]string{"miimon 100 ms  updelay 200 ms  downdelay 300 ms"},
			[]string{`"updelay_ms":200`, `"downdelay_ms":300`}},
		{"arp", `arp_interval = 100
  arp_ip_target = ["198.51.100.1", "198.51.100.2"]
  ns_ip6_target = ["2001:db8::1"]
  arp_validate = "active"`,
			[]string{"arp_interval 100 ms", "arp_validate active  arp_ip_target 198.51.100.1,198.51.100.2  ns_ip6_target 2001:db8::1"},
			[]string{`"arp_ip_target":["198.51.100.1","198.51.100.2"]`, `"ns_ip6_target":["2001:db8::1"]`, `"arp_validate":"active"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			apply(t, `nic "eth0" { mac = "52:54:00:00:0f:01" }
nic "eth1" { mac = "52:54:00:00:0f:02" }
bond "bond0" {
  slaves = [nic.eth0, nic.eth1]
  mode   = "active-backup"
  `+tt.opts+`
}
`, "")
			t.Cleanup(func() { cleanup(t) })
			r := report(t)
			var text strings.Builder
			WriteText(&text, r)
			js, _ := json.Marshal(r.Bonds[0])
			for _, w := range tt.text {
				if !strings.Contains(text.String(), w) {
					t.Errorf("text lacks %q:\n%s", w, text.String())
				}
			}
			for _, w := range tt.json {
				if !strings.Contains(string(js), w) {
					t.Errorf("JSON lacks %s: %s", w, js)
				}
			}
		})
	}
}

// cleanup removes what the plans of these tests created (bond0).
func cleanup(t *testing.T) {
	s, err := live.Read(netns.None())
	if err != nil {
		t.Fatal(err)
	}
	ch, err := engine.Diff(&plan.Plan{}, s) // marked links not in the plan go
	if err == nil {
		_, err = engine.Apply(context.Background(), netns.None(), ch)
	}
	if err != nil {
		t.Error(err)
	}
}

// Slave roles, MII state and failure counts follow a pulled cable.
func TestStatusActiveBackupCut(t *testing.T) {
	tp := apply(t, `nic "eth0" { mac = "52:54:00:00:0e:01" }
nic "eth1" { mac = "52:54:00:00:0e:02" }
bond "bond0" {
  slaves  = [nic.eth0, nic.eth1]
  mode    = "active-backup"
  miimon  = 10
  primary = nic.eth0
}
`, "")
	time.Sleep(100 * time.Millisecond)
	r := report(t)
	b := r.Bonds[0]
	if b.Mode != "active-backup" || b.Owner != "bond.bond0" || b.Slaves[0].Role != "active" || b.Slaves[1].Role != "backup" {
		t.Fatalf("before the cut: %+v", b)
	}
	if err := tp.CutNIC("eth0"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		b = report(t).Bonds[0]
		if b.Slaves[0].MII == "down" && b.Slaves[1].Role == "active" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the cut: %+v", b)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if b.Slaves[0].Failures != 1 || b.ActiveSlave != "eth1" {
		t.Fatalf("after the cut: failures %d, active %q", b.Slaves[0].Failures, b.ActiveSlave)
	}
}
