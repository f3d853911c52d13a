package plan

import (
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// functions available in plan expressions.
var functions = map[string]function.Function{
	"range": rangeFunc, "concat": stdlib.ConcatFunc, "format": stdlib.FormatFunc,
	"formatlist": stdlib.FormatListFunc, "join": stdlib.JoinFunc, "split": stdlib.SplitFunc,
	"length": stdlib.LengthFunc, "lower": stdlib.LowerFunc, "upper": stdlib.UpperFunc,
	"min": stdlib.MinFunc, "max": stdlib.MaxFunc, "keys": stdlib.KeysFunc, "values": stdlib.ValuesFunc,
	"merge": stdlib.MergeFunc, "element": stdlib.ElementFunc, "flatten": stdlib.FlattenFunc,
	"distinct": stdlib.DistinctFunc, "contains": stdlib.ContainsFunc, "coalesce": stdlib.CoalesceFunc,
	"replace": stdlib.ReplaceFunc, "substr": stdlib.SubstrFunc, "trimspace": stdlib.TrimSpaceFunc,
	"zipmap": stdlib.ZipmapFunc, "setproduct": stdlib.SetProductFunc, "lookup": stdlib.LookupFunc,
	"tostring": stdlib.MakeToFunc(cty.String), "tonumber": stdlib.MakeToFunc(cty.Number),
	"toset": stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)), "tolist": stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
	"cidrhost": cidrHostFunc,
}

func (d *decoder) baseContext() *hcl.EvalContext {
	return &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": cty.ObjectVal(d.vars)},
		Functions: functions,
	}
}

// eval evaluates an expression; on error it records the diagnostics and returns an
// unknown value, which the converters skip so one mistake is reported once.
func (d *decoder) eval(expr hcl.Expression, ctx *hcl.EvalContext) cty.Value {
	v, diags := expr.Value(ctx)
	d.diags = append(d.diags, diags...)
	if diags.HasErrors() {
		return cty.DynamicVal
	}
	return v
}

// instance is one object a block declares: the block itself, or one for_each element.
type instance struct {
	n    *node
	addr string // `vlan.tenant["100"]`
	key  string // for_each key; "" without for_each
	ctx  *hcl.EvalContext
	src  Source
	ok   bool // false once an attribute failed, so the object is not half-built
}

// evaluate decodes every block in dependency order. After each block its value joins the
// evaluation context, so later blocks can refer to it.
func (d *decoder) evaluate(order []*node) {
	ctx := d.baseContext()
	typeVals := map[string]map[string]cty.Value{}
	for typ, labels := range d.ghosts {
		typeVals[typ] = map[string]cty.Value{}
		for l := range labels {
			typeVals[typ][l] = cty.DynamicVal
		}
		ctx.Variables[typ] = cty.ObjectVal(typeVals[typ])
	}
	for _, n := range order {
		if n.broken {
			n.value = cty.DynamicVal
			if typeVals[n.typ] == nil {
				typeVals[n.typ] = map[string]cty.Value{}
			}
			typeVals[n.typ][n.label] = n.value
			ctx.Variables[n.typ] = cty.ObjectVal(typeVals[n.typ])
			continue
		}
		insts := d.instances(n, ctx)
		vals := map[string]cty.Value{}
		for _, in := range insts {
			v := d.decodeInstance(in)
			if in.key == "" && n.content.Attributes["for_each"] == nil {
				n.value = v
			} else {
				vals[in.key] = v
			}
		}
		if n.content.Attributes["for_each"] != nil {
			n.value = cty.ObjectVal(vals)
			if insts == nil {
				n.value = cty.DynamicVal
			}
		}
		if typeVals[n.typ] == nil {
			typeVals[n.typ] = map[string]cty.Value{}
		}
		typeVals[n.typ][n.label] = n.value
		ctx.Variables[n.typ] = cty.ObjectVal(typeVals[n.typ])
	}
}

// instances expands for_each: a list or set gives keys equal to its elements (as
// Terraform's toset), a map or object its keys.
func (d *decoder) instances(n *node, ctx *hcl.EvalContext) []*instance {
	mk := func(key string, each cty.Value) *instance {
		in := &instance{n: n, addr: n.addr(), key: key, ctx: ctx, ok: true}
		if each != cty.NilVal {
			in.addr = fmt.Sprintf("%s[%q]", n.addr(), key)
			in.ctx = ctx.NewChild()
			in.ctx.Variables = map[string]cty.Value{"each": cty.ObjectVal(map[string]cty.Value{"key": cty.StringVal(key), "value": each})}
		}
		in.src = Source{Addr: in.addr, Block: n.block.DefRange, Attrs: map[string]hcl.Range{}, Blocks: map[string]hcl.Range{}}
		return in
	}
	fe := n.content.Attributes["for_each"]
	if fe == nil || !forEachTypes[n.typ] {
		return []*instance{mk("", cty.NilVal)}
	}
	v := d.eval(fe.Expr, ctx)
	if !v.IsWhollyKnown() {
		return nil
	}
	bad := func(why string) []*instance {
		d.errorf(fe.Expr.Range().Ptr(), "Invalid for_each", "for_each needs a list, set or map of known values (e.g. range(100, 200) or vlan.tenant): %s.", why)
		return nil
	}
	if v.IsNull() {
		return bad("it is null")
	}
	ty := v.Type()
	out := []*instance{} // empty, not nil: nil means for_each failed
	seen := map[string]bool{}
	switch {
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			key, err := keyString(e)
			if err != nil {
				return bad(err.Error())
			}
			if seen[key] {
				return bad(fmt.Sprintf("the element %q appears twice", key))
			}
			seen[key] = true
			out = append(out, mk(key, e))
		}
	case ty.IsMapType() || ty.IsObjectType():
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			out = append(out, mk(k.AsString(), e))
		}
	default:
		return bad("it is a " + ty.FriendlyName())
	}
	return out
}

func keyString(v cty.Value) (string, error) {
	if v.IsNull() {
		return "", fmt.Errorf("an element is null")
	}
	switch v.Type() {
	case cty.String:
		return v.AsString(), nil
	case cty.Number:
		return v.AsBigFloat().Text('f', -1), nil
	}
	return "", fmt.Errorf("elements must be strings or numbers, not %s", v.Type().FriendlyName())
}

// get evaluates attribute name of the instance. It returns false when the attribute is
// absent, null (so `mtu = var.mtu` with a null default means "not set") or failed.
func (d *decoder) get(in *instance, name string) (*hcl.Attribute, cty.Value, bool) {
	a := in.n.content.Attributes[name]
	if a == nil {
		return nil, cty.NilVal, false
	}
	v := d.eval(a.Expr, in.ctx)
	if !v.IsWhollyKnown() {
		in.ok = false
		return a, v, false
	}
	if v.IsNull() {
		return a, v, false
	}
	in.src.Attrs[name] = a.Expr.Range()
	return a, v, true
}

// required reports a missing required argument.
func (d *decoder) required(in *instance, name, what string) {
	if _, ok := in.n.content.Attributes[name]; !ok {
		d.errorf(in.n.block.DefRange.Ptr(), "Missing required argument", "%s needs %s = %s.", in.n.addr(), name, what)
		in.ok = false
	}
}

func (d *decoder) typeErr(a *hcl.Attribute, want string, v cty.Value) {
	got := "null"
	if v != cty.NilVal && !v.IsNull() {
		got = v.Type().FriendlyName()
	}
	d.errorf(a.Expr.Range().Ptr(), "Incorrect value type", "%s must be %s, not %s.", a.Name, want, got)
}

func (d *decoder) toString(a *hcl.Attribute, v cty.Value) string {
	if !v.IsWhollyKnown() || v.IsNull() {
		return ""
	}
	if v.Type() == cty.Number || v.Type() == cty.Bool {
		if v.Type() == cty.Number {
			return v.AsBigFloat().Text('f', -1)
		}
		return fmt.Sprint(v.True())
	}
	if v.Type() != cty.String {
		d.typeErr(a, "a string", v)
		return ""
	}
	return v.AsString()
}

func (d *decoder) toBool(a *hcl.Attribute, v cty.Value) bool {
	if !v.IsWhollyKnown() || v.IsNull() {
		return false
	}
	if v.Type() == cty.Bool {
		return v.True()
	}
	if v.Type() == cty.Number || v.Type() == cty.String {
		switch d.toString(a, v) {
		case "1", "true", "on", "yes":
			return true
		case "0", "false", "off", "no":
			return false
		}
	}
	d.typeErr(a, "true or false", v)
	return false
}

// toUint reads a whole number in [lo, hi]; numeric strings count, as modprobe writes them.
func (d *decoder) toUint(a *hcl.Attribute, v cty.Value, lo, hi uint64) (uint64, bool) {
	if v.Type() == cty.String {
		f, _, err := big.ParseFloat(strings.TrimSpace(v.AsString()), 10, 64, big.ToNearestEven)
		if err != nil {
			d.typeErr(a, "a number", v)
			return 0, false
		}
		v = cty.NumberVal(f)
	}
	if v.Type() != cty.Number {
		d.typeErr(a, "a number", v)
		return 0, false
	}
	f := v.AsBigFloat()
	if !f.IsInt() || f.Sign() < 0 {
		d.errorf(a.Expr.Range().Ptr(), "Invalid value", "%s must be a whole number from %d to %d, not %s.", a.Name, lo, hi, f.Text('f', -1))
		return 0, false
	}
	n, acc := f.Uint64()
	if acc != big.Exact || n < lo || n > hi {
		d.errorf(a.Expr.Range().Ptr(), "Value out of range", "%s must be from %d to %d, not %s.", a.Name, lo, hi, f.Text('f', -1))
		return 0, false
	}
	return n, true
}

// toStrings reads a list of strings; a single string is a one-element list.
func (d *decoder) toStrings(a *hcl.Attribute, v cty.Value) ([]string, bool) {
	if v.Type() == cty.String {
		return []string{v.AsString()}, true
	}
	ty := v.Type()
	if !ty.IsListType() && !ty.IsTupleType() && !ty.IsSetType() {
		d.typeErr(a, "a list of strings", v)
		return nil, false
	}
	var out []string
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() || e.Type() != cty.String {
			d.typeErr(a, "a list of strings", v)
			return nil, false
		}
		out = append(out, e.AsString())
	}
	return out, true
}

func (d *decoder) toMAC(a *hcl.Attribute, v cty.Value) (net.HardwareAddr, bool) {
	s := d.toString(a, v)
	mac, err := net.ParseMAC(s)
	if err != nil || len(mac) != 6 {
		d.errorf(a.Expr.Range().Ptr(), "Invalid MAC address", "%q is not an Ethernet MAC address; write six hex pairs, e.g. \"52:54:00:12:34:56\".", s)
		return nil, false
	}
	return mac, true
}

func (d *decoder) toAddr(a *hcl.Attribute, s string) (netip.Addr, bool) {
	ip, err := netip.ParseAddr(s)
	if err != nil {
		d.errorf(a.Expr.Range().Ptr(), "Invalid IP address", "%s: %q is not an IPv4 or IPv6 address.", a.Name, s)
		return netip.Addr{}, false
	}
	return ip, true
}

func (d *decoder) toPrefix(a *hcl.Attribute, s string) (netip.Prefix, bool) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		d.errorf(a.Expr.Range().Ptr(), "Invalid address", "%s: %q is not ADDRESS/PREFIXLEN (e.g. \"198.51.100.10/24\").", a.Name, s)
		return netip.Prefix{}, false
	}
	return p, true
}

// refAddrs reads references to other blocks (`bond.bond0`, `[nic.a, nic.b]`, `each.value`)
// and returns the instance addresses they name.
func (d *decoder) refAddrs(a *hcl.Attribute, v cty.Value, list bool, want string) ([]string, bool) {
	one := func(e cty.Value) (string, bool) {
		if e.IsNull() || !e.Type().IsObjectType() || !e.Type().HasAttribute("addr") {
			return "", false
		}
		return e.GetAttr("addr").AsString(), true
	}
	if !list {
		s, ok := one(v)
		if !ok {
			d.typeErr(a, "a reference to "+want, v)
		}
		return []string{s}, ok
	}
	ty := v.Type()
	if !ty.IsListType() && !ty.IsTupleType() && !ty.IsSetType() {
		d.typeErr(a, "a list of references to "+want, v)
		return nil, false
	}
	var out []string
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		s, ok := one(e)
		if !ok {
			d.errorf(a.Expr.Range().Ptr(), "Incorrect value type", "%s must list references to %s (e.g. %s), not strings or other values.", a.Name, want, exampleRef(want))
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

func exampleRef(want string) string {
	switch {
	case strings.HasPrefix(want, "nic"):
		return "nic.uplink0"
	case strings.HasPrefix(want, "bridge"):
		return "bridge.br0"
	}
	return "bond.bond0"
}

// refValue is the value other blocks see when they refer to an interface.
func refValue(addr, kind, name string, extra map[string]cty.Value) cty.Value {
	m := map[string]cty.Value{"addr": cty.StringVal(addr), "kind": cty.StringVal(kind), "name": cty.StringVal(name)}
	for k, v := range extra {
		m[k] = v
	}
	return cty.ObjectVal(m)
}

// cidrHostFunc computes an address inside a prefix, keeping the prefix length:
// cidrhost("198.51.100.0/24", 10) is "198.51.100.10/24", ready for `addresses`.
var cidrHostFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "prefix", Type: cty.String}, {Name: "hostnum", Type: cty.Number}},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		p, err := netip.ParsePrefix(args[0].AsString())
		if err != nil {
			return cty.NilVal, err
		}
		n, acc := args[1].AsBigFloat().Int64()
		if acc != big.Exact || n < 0 {
			return cty.NilVal, fmt.Errorf("hostnum must be a whole number from 0")
		}
		b := p.Masked().Addr().AsSlice()
		x := new(big.Int).SetBytes(b)
		x.Add(x, big.NewInt(n))
		if x.BitLen() > len(b)*8 {
			return cty.NilVal, fmt.Errorf("hostnum %d is outside %s", n, p)
		}
		out := make([]byte, len(b))
		x.FillBytes(out)
		a, _ := netip.AddrFromSlice(out)
		if a.Is4In6() {
			a = a.Unmap()
		}
		if !p.Contains(a) {
			return cty.NilVal, fmt.Errorf("hostnum %d is outside %s", n, p)
		}
		return cty.StringVal(netip.PrefixFrom(a, p.Bits()).String()), nil
	},
})

// MaxRange bounds range(): enough for every VLAN id (4094) several times over, small
// enough that a typo such as range(1e9) is an error, not an out-of-memory.
const MaxRange = 65536

// rangeFunc is range(limit), range(start, limit) or range(start, limit, step), as in
// Terraform, without cty's cap of 1024 values, which is too few for a host's VLANs.
var rangeFunc = function.New(&function.Spec{
	VarParam: &function.Parameter{Name: "params", Type: cty.Number},
	Type:     function.StaticReturnType(cty.List(cty.Number)),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		var start, limit, step float64 = 0, 0, 1
		f := make([]float64, len(args))
		for i, a := range args {
			if a.IsNull() || !a.IsKnown() {
				return cty.NilVal, fmt.Errorf("range arguments must be known numbers")
			}
			f[i], _ = a.AsBigFloat().Float64()
		}
		switch len(f) {
		case 1:
			limit = f[0]
		case 2:
			start, limit = f[0], f[1]
		case 3:
			start, limit, step = f[0], f[1], f[2]
		default:
			return cty.NilVal, fmt.Errorf("range takes 1 to 3 arguments: range(limit), range(start, limit) or range(start, limit, step)")
		}
		if step == 0 || (step > 0) != (limit >= start) && limit != start {
			return cty.NilVal, fmt.Errorf("range step must be non-zero and go from start towards limit")
		}
		if n := (limit - start) / step; n > MaxRange {
			return cty.NilVal, fmt.Errorf("range would make more than %d values", MaxRange)
		}
		var vals []cty.Value
		for v := start; (step > 0 && v < limit) || (step < 0 && v > limit); v += step {
			vals = append(vals, cty.NumberFloatVal(v))
		}
		if len(vals) == 0 {
			return cty.ListValEmpty(cty.Number), nil
		}
		return cty.ListVal(vals), nil
	},
})
