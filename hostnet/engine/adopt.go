package engine

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hostnet/hostnet/hostnet/live"
	"github.com/hostnet/hostnet/hostnet/plan"
)

// Adopt is the action of an existing link hostnet did not create (no ownership mark) that
// already is what the plan says: the only kernel operation is writing the mark (the
// interface alias), which changes neither the link's state nor its traffic. This is how a
// host configured by ifupdown, ifcfg, netplan or nmstate is taken over after `hostnet
// import`, without an outage.
const Adopt Action = "adopt"

// unownedOwner is the AttrChange.Old of the "owner" attribute of a link without a mark.
const unownedOwner = "(not managed by hostnet)"

// Diff compares plan p with live state s (see diffPlan). A planned bond, bridge or VLAN that
// exists without hostnet's mark and matches the plan is adopted (action Adopt: only the
// mark is written). One that the plan would change is refused: changing a link someone else
// configured needs the explicit consent of DiffAdopt (`--adopt`).
func Diff(p *plan.Plan, s *live.State) (*Changes, error) { return diffAdoption(p, s, nil) }

// DiffAdopt is Diff that also takes over the unmarked links named in adopt (kernel names)
// when the plan changes them: they are marked and changed in place (or replaced, as marked
// links are), as `plan --adopt` and `apply --adopt` show and do (the CLI names every planned
// link; see AdoptAll).
func DiffAdopt(p *plan.Plan, s *live.State, adopt map[string]bool) (*Changes, error) {
	return diffAdoption(p, s, adopt)
}

// AdoptAll names every bond, bridge and VLAN of p, for DiffAdopt.
func AdoptAll(p *plan.Plan) map[string]bool {
	out := map[string]bool{}
	for _, i := range p.Interfaces() {
		if _, nic := i.(*plan.NIC); !nic {
			out[i.Common().Name] = true
		}
	}
	return out
}

func diffAdoption(p *plan.Plan, s *live.State, adopt map[string]bool) (*Changes, error) {
	ch, err := diffPlan(p, s)
	if err != nil {
		return nil, err
	}
	if err := classifyAdoption(ch, adopt); err != nil {
		return nil, err
	}
	return ch, nil
}

// classifyAdoption turns the changes of unmarked links into Adopt (mark only) or, when the
// plan changes more than the mark of a link that adopt does not name, into one error per
// link that says what would change.
func classifyAdoption(ch *Changes, adopt map[string]bool) error {
	var errs []error
	for k := range ch.Objects {
		o := &ch.Objects[k]
		if !adopting(o) {
			continue
		}
		other := otherAttrs(o)
		if len(other) == 0 && len(o.Flaps) == 0 && (o.Action == Update || o.Action == NoOp) {
			o.Action = Adopt
			o.Reason = "exists, not created by hostnet, and matches the plan: only the ownership mark is written"
			continue
		}
		if adopt[o.Name] {
			if o.Reason == "" {
				o.Reason = "adopted with --adopt: exists, not created by hostnet, and changed to match the plan"
			}
			continue
		}
		errs = append(errs, fmt.Errorf("%s: %s exists and hostnet did not create it; the plan would change it (%s): "+
			"nothing was changed. Make the plan match it (hostnet import live), or take it over and change it in place with --adopt",
			o.Address, o.Name, strings.Join(other, "; ")))
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	ch.finish()
	return nil
}

// adopting reports a change that writes the mark on a link that had none.
func adopting(o *Change) bool {
	for _, a := range o.Attrs {
		if a.Name == "owner" && a.Old == unownedOwner {
			return true
		}
	}
	return false
}

// otherAttrs renders the attribute changes besides the mark.
func otherAttrs(o *Change) []string {
	var out []string
	for _, a := range o.Attrs {
		if a.Name == "owner" {
			continue
		}
		switch {
		case a.Old == "":
			out = append(out, a.Name+" + "+a.New)
		case a.New == "":
			out = append(out, a.Name+" - "+a.Old)
		default:
			out = append(out, a.Name+" "+a.Old+" → "+a.New)
		}
	}
	return out
}
