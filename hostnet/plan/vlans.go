package plan

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/hostnet/hostnet/hostnet/vid"
)

// decodeVLANs reads the vids, pvid and untagged arguments of a bridge or of one of its port
// blocks into a VLAN membership (nil when none is written). block locates the membership
// for diagnostics; the ranges of the arguments written go into src.
func (d *decoder) decodeVLANs(in *instance, attrs hcl.Attributes, block hcl.Range, src map[string]hcl.Range) *VLANs {
	v := &VLANs{PVID: DefaultPVID, Range: block, Attrs: map[string]hcl.Range{}}
	written := false
	val := func(name string) (*hcl.Attribute, cty.Value, bool) {
		a := attrs[name]
		if a == nil {
			return nil, cty.NilVal, false
		}
		x := d.eval(a.Expr, in.ctx)
		if !x.IsWhollyKnown() {
			in.ok = false
			return nil, cty.NilVal, false
		}
		if x.IsNull() {
			return nil, cty.NilVal, false
		}
		v.Attrs[name] = a.Expr.Range()
		src[name] = a.Expr.Range()
		written = true
		return a, x, true
	}
	if a, x, ok := val("vids"); ok {
		if s, ok := d.toVIDs(a, x); ok {
			v.VIDs = s
		} else {
			in.ok = false
		}
	}
	if a, x, ok := val("untagged"); ok {
		if s, ok := d.toVIDs(a, x); ok {
			v.Untagged = s
		} else {
			in.ok = false
		}
	}
	if a, x, ok := val("pvid"); ok {
		if n, ok := d.toUint(a, x, 0, vid.Max); ok {
			v.PVID = int(n)
		} else {
			in.ok = false
		}
	}
	if !written {
		return nil
	}
	return v
}

// maxVIDItems bounds the elements of a vids list: every usable id once, as range(1, 4095)
// gives them, is the most that makes sense.
const maxVIDItems = vid.Max

// toVIDs reads a VLAN id list: numbers and "lo-hi" strings ("2-4094"), or a single one.
func (d *decoder) toVIDs(a *hcl.Attribute, v cty.Value) (vid.Set, bool) {
	var out vid.Set
	ty := v.Type()
	var elems []cty.Value
	switch {
	case ty == cty.Number || ty == cty.String:
		elems = []cty.Value{v}
	case ty.IsListType() || ty.IsTupleType() || ty.IsSetType():
		if n := v.LengthInt(); n > maxVIDItems {
			d.errorf(a.Expr.Range().Ptr(), "Too many VLAN ids", "%s has %d elements; there are only %d usable VLAN ids. Write ranges (\"2-4094\").", a.Name, n, vid.Max)
			return out, false
		}
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			elems = append(elems, e)
		}
	default:
		d.typeErr(a, `a list of VLAN ids and ranges (e.g. [10, "100-199"])`, v)
		return out, false
	}
	for _, e := range elems {
		if e.IsNull() || (e.Type() != cty.Number && e.Type() != cty.String) {
			d.typeErr(a, `a list of VLAN ids and ranges (e.g. [10, "100-199"])`, v)
			return out, false
		}
		s := ""
		if e.Type() == cty.Number {
			s = e.AsBigFloat().Text('f', -1)
		} else {
			s = e.AsString()
		}
		rs, err := vid.ParseItem(s)
		if err != nil {
			d.errorf(a.Expr.Range().Ptr(), "Invalid VLAN id", "%s: %s.", a.Name, err)
			return out, false
		}
		for _, r := range rs {
			out.AddRange(r.Lo, r.Hi)
		}
	}
	return out, true
}
