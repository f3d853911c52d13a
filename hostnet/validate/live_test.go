package validate_test

import (
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/plan"
	"github.com/hostnet/hostnet/hostnet/validate"
)

// TestLive: the live checks read the device limits from the live state (built here: the
// logic only; the kernel's side is TestKernelClaims, -tags lab) and point at the plan's
// attribute.
func TestLive(t *testing.T) {
	src := []byte(`nic "u0" {
  mac = "52:54:00:00:00:01"
  mtu = 9000
}
nic "u1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves = [nic.u0, nic.u1]
  mode   = "active-backup"
  miimon = 100
  slave {
    nic      = nic.u1
    queue_id = QUEUE
  }
}
`)
	mac := func(s string) net.HardwareAddr { m, _ := net.ParseMAC(s); return m }
	for _, c := range []struct {
		name               string
		maxMTU, bondQueues int
		queue              string
		want               map[string]int // rule -> line
	}{
		{"fits", 9216, 16, "16", nil},
		{"mtu above max_mtu", 1500, 16, "2", map[string]int{"mtu-above-device-max": 3}},
		{"queue_id above the live bond's queues", 9216, 4, "5", map[string]int{"queue-id-above-queues": 12}},
		{"queue_id fits the live bond's queues", 9216, 32, "20", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			text := src
			text = []byte(strings.ReplaceAll(string(text), "QUEUE", c.queue))
			p, diags := plan.Decode([]plan.Input{{Name: filepath.Join("t", "p.hcl"), Bytes: text}}, nil, nil)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			s := live.NewState([]*live.Link{
				{Index: 2, Name: "eth0", MAC: mac("52:54:00:00:00:01"), MTU: 1500, MinMTU: 68, MaxMTU: c.maxMTU},
				{Index: 3, Name: "eth1", MAC: mac("52:54:00:00:00:02"), MTU: 1500, MinMTU: 68, MaxMTU: 9216},
				{Index: 4, Name: "bond0", Kind: "bond", MTU: 1500, MaxMTU: 65535, NumTxQueues: c.bondQueues},
			}, nil)
			got := validate.Live(p, s)
			if len(got) != len(c.want) {
				t.Fatalf("want %v, got %v", c.want, got)
			}
			for _, d := range got {
				if line, ok := c.want[validate.RuleOf(d)]; !ok || d.Subject.Start.Line != line {
					t.Errorf("unexpected %s at line %d: %s", validate.RuleOf(d), d.Subject.Start.Line, d.Detail)
				}
			}
		})
	}
}
