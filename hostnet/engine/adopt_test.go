package engine

import (
	"strings"
	"testing"

	"github.com/hostnet/hostnet/hostnet/bonding"
	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/plan"
)

// unmarked is after() as another tool (ifupdown2, NetworkManager) would leave it: the same
// links, without hostnet's marks, and the gateway route with protocol boot.
func unmarked(opts bonding.Options) *live.State {
	s := after(opts)
	for _, l := range s.Links {
		l.Alias = ""
	}
	for k := range s.Routes {
		if s.Routes[k].Protocol == live.RouteProtocol {
			s.Routes[k].Protocol = 3 // RTPROT_BOOT
		}
	}
	return s
}

func TestDiffAdopt(t *testing.T) {
	cases := []struct {
		name       string
		live       bonding.Options
		withAdopt  bool
		only       map[string]bool // DiffAdopt with just these names
		wantErr    string
		wantAction Action // of bond.bond0
		wantMarks  int    // steps that only write the mark
		wantSteps  int
	}{
		{name: "matching links are adopted", live: abOpts(), wantAction: Adopt, wantMarks: 4, wantSteps: 4},
		{name: "a changed option is refused", live: bondOpts(bonding.ActiveBackup, bonding.OptMiimon, 200),
			wantErr: "bond.bond0: bond0 exists and hostnet did not create it; the plan would change it (miimon 200 → 100)"},
		{name: "--adopt changes it in place", live: bondOpts(bonding.ActiveBackup, bonding.OptMiimon, 200), withAdopt: true,
			wantAction: Update, wantMarks: 4, wantSteps: 5},
		{name: "--adopt on a matching host is the same as without", live: abOpts(), withAdopt: true,
			wantAction: Adopt, wantMarks: 4, wantSteps: 4},
		{name: "consent for another link does not cover the bond", live: bondOpts(bonding.ActiveBackup, bonding.OptMiimon, 200),
			only: map[string]bool{"br0": true}, wantErr: "bond.bond0: bond0 exists and hostnet did not create it"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			diff := Diff
			if c.withAdopt {
				diff = func(p *plan.Plan, s *live.State) (*Changes, error) { return DiffAdopt(p, s, AdoptAll(p)) }
			}
			if c.only != nil {
				diff = func(p *plan.Plan, s *live.State) (*Changes, error) { return DiffAdopt(p, s, c.only) }
			}
			ch, err := diff(fixture(), unmarked(c.live))
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := object(t, ch, "bond.bond0").Action; got != c.wantAction {
				t.Errorf("bond action %s, want %s", got, c.wantAction)
			}
			marks := 0
			for _, s := range ch.Steps() {
				if strings.HasPrefix(s.Desc, "mark ") {
					marks++
				}
			}
			if marks != c.wantMarks || ch.NumSteps != c.wantSteps {
				t.Errorf("%d marks, %d steps, want %d, %d: %v", marks, ch.NumSteps, c.wantMarks, c.wantSteps, descs(ch))
			}
			if c.wantAction == Adopt && (ch.Summary.Adopt != 4 || ch.Summary.Update != 0) {
				t.Errorf("summary %+v", ch.Summary)
			}
		})
	}
}

// TestDiffAdoptMarked: links hostnet marked are never "adopted" again.
func TestDiffAdoptMarked(t *testing.T) {
	ch, err := Diff(fixture(), after(abOpts()))
	if err != nil {
		t.Fatal(err)
	}
	if ch.HasChanges() || ch.Summary.Adopt != 0 {
		t.Fatalf("changes on a marked host: %+v", ch.ChangedObjects())
	}
}
