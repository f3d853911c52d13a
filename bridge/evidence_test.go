package bridge

import (
	"testing"

	"github.com/hostnet/hostnet/hostnet/bonding"
)

// TestEvidenceTable: the table validation cites is well-formed (the lab
// test checks the values against the kernel).
func TestEvidenceTable(t *testing.T) {
	seen := map[string]bool{}
	for _, v := range Evidence {
		c := v.Cell()
		if seen[c] {
			t.Errorf("%s: twice", c)
		}
		seen[c] = true
		if v.Summary == "" {
			t.Errorf("%s: no summary", c)
		}
		if v.Mode > bonding.BalanceALB || v.Switch < LearningSwitch || v.Switch > LACPPartner {
			t.Errorf("%s: bad mode or switch", c)
		}
		for _, r := range []Reach{v.GuestToRemote, v.RemoteToGuest, v.HostToRemote, v.RemoteToHost} {
			if r < Works || r > Broken {
				t.Errorf("%s: reach not measured", c)
			}
		}
		switch v.Mitigation {
		case "", MitigationSticky, MitigationNoLearning:
		default:
			t.Errorf("%s: unknown mitigation", c)
		}
		if got, ok := LookupMitigated(v.Mode, v.Options, v.Mitigation, v.Switch); !ok || got.Cell() != c {
			t.Errorf("%s: LookupMitigated finds %v, %v", c, got.Cell(), ok)
		}
	}
	// Every mode has a verdict against a plain learning switch.
	for m := bonding.BalanceRR; m <= bonding.BalanceALB; m++ {
		if _, ok := Lookup(m, LearningSwitch); !ok {
			t.Errorf("no verdict for %v on a learning switch", m)
		}
	}
}

func TestServed(t *testing.T) {
	for _, tc := range []struct {
		cell Verdict
		want bool
	}{
		{Verdict{GuestToRemote: Works, RemoteToGuest: Works}, true},
		{Verdict{GuestToRemote: Works, RemoteToGuest: Works, Duplicates: true}, false},
		{Verdict{GuestToRemote: Works, RemoteToGuest: Lossy}, false},
		{Verdict{GuestToRemote: Broken, RemoteToGuest: Works}, false},
	} {
		if got := tc.cell.Served(); got != tc.want {
			t.Errorf("%+v: Served() = %v", tc.cell, got)
		}
	}
	for _, tc := range []struct {
		recv, sent int
		want       Reach
	}{{20, 20, Works}, {19, 20, Lossy}, {0, 20, Broken}, {0, 0, Broken}} {
		if got := ReachOf(tc.recv, tc.sent); got != tc.want {
			t.Errorf("ReachOf(%d, %d) = %v, want %v", tc.recv, tc.sent, got, tc.want)
		}
	}
}
