package plan

import (
	"fmt"

	"github.com/agext/levenshtein"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Block types that become objects of the plan, in the order a dependency-free plan is
// evaluated. References name them: `nic.uplink0`, `bond.bond0`.
var objectTypes = []string{"nic", "bond", "vlan", "bridge", "route", "libvirt_network"}

// forEachTypes may expand into many instances with for_each.
var forEachTypes = map[string]bool{"vlan": true, "bridge": true, "libvirt_network": true}

var rootSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
	{Type: "host"},
	{Type: "switch"},
	{Type: "variable", LabelNames: []string{"name"}},
	{Type: "nic", LabelNames: []string{"name"}},
	{Type: "bond", LabelNames: []string{"name"}},
	{Type: "vlan", LabelNames: []string{"name"}},
	{Type: "bridge", LabelNames: []string{"name"}},
	{Type: "route", LabelNames: []string{"name"}},
	{Type: "libvirt_network", LabelNames: []string{"name"}},
}}

// node is one object block of the plan: a vertex of the dependency graph.
type node struct {
	typ, label string
	block      *hcl.Block
	content    *hcl.BodyContent
	nested     map[string][]*hcl.BodyContent // nested blocks' contents by type
	deps       []*node
	value      cty.Value // the block's value for references: one object, or a map of them
	// incomplete: the block's body has errors (an unknown or missing argument); its
	// range goes to Plan.Incomplete.
	incomplete bool
	// broken: the block uses each without for_each; it is not evaluated, and the blocks
	// that refer to it see an unknown value (and are left out without further errors).
	broken bool
}

func (n *node) addr() string { return n.typ + "." + n.label }

type decoder struct {
	diags hcl.Diagnostics
	vars  map[string]cty.Value
	nodes map[string]*node // by address
	order []*node          // source order
	plan  *Plan
	ifs   map[string]Interface // interface objects by instance address
	// pending is the object the current instance built; it joins the plan if clean.
	pending any
	// ghosts are references to undeclared objects, by type and label (see ghost).
	ghosts map[string]map[string]bool
}

func (d *decoder) errorf(rng *hcl.Range, summary, detail string, args ...any) {
	d.diags = append(d.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(detail, args...), Subject: rng})
}

func (d *decoder) decode(bodies, varBodies []hcl.Body, assigns []string) *Plan {
	d.plan = &Plan{}
	d.nodes = map[string]*node{}
	d.ifs = map[string]Interface{}
	var varBlocks, hostBlocks, switchBlocks []*hcl.Block
	for _, body := range bodies {
		content, diags := body.Content(rootSchema)
		d.diags = append(d.diags, diags...)
		for _, b := range content.Blocks {
			switch b.Type {
			case "host":
				hostBlocks = append(hostBlocks, b)
			case "switch":
				switchBlocks = append(switchBlocks, b)
			case "variable":
				varBlocks = append(varBlocks, b)
			default:
				d.addNode(b)
			}
		}
	}
	// Every stage runs even after errors, so that one run reports the errors of every
	// block: a variable without a valid value and a reference to an undeclared object are
	// unknown values; the objects that use them report their other errors and are left
	// out of the plan (get treats unknown values so), the others are decoded and
	// validated. Only a reference cycle stops here: there is no order to evaluate in.
	d.decodeVariables(varBlocks, varBodies, assigns)
	for _, b := range hostBlocks {
		d.decodeHost(b)
	}
	for _, b := range switchBlocks {
		d.decodeSwitch(b)
	}
	for _, n := range d.order {
		if n.incomplete {
			r := n.block.DefRange
			if body, ok := n.block.Body.(*hclsyntax.Body); ok {
				r = hcl.RangeBetween(r, body.SrcRange)
			}
			d.plan.Incomplete = append(d.plan.Incomplete, r)
		}
	}
	d.linkDeps()
	order := d.sortNodes()
	if order == nil && len(d.order) > 0 {
		return d.plan
	}
	d.evaluate(order)
	return d.plan
}

func (d *decoder) decodeHost(b *hcl.Block) {
	if d.plan.Host != nil {
		d.errorf(b.DefRange.Ptr(), "Duplicate host block", "A plan has one host block; the first is at %s.", d.plan.Host.Range)
		return
	}
	content, diags := b.Body.Content(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "name", Required: true}}})
	d.diags = append(d.diags, diags...)
	h := &Host{Range: b.DefRange}
	if a := content.Attributes["name"]; a != nil {
		v := d.eval(a.Expr, d.baseContext())
		h.Name = d.toString(a, v)
	}
	d.plan.Host = h
}

func (d *decoder) decodeSwitch(b *hcl.Block) {
	if d.plan.Switch.Declared {
		d.errorf(b.DefRange.Ptr(), "Duplicate switch block", "A plan has one switch block; the first is at %s.", d.plan.Switch.Range)
		return
	}
	content, diags := b.Body.Content(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "lacp"}, {Name: "static_lag"}}})
	d.diags = append(d.diags, diags...)
	s := Switch{Declared: true, Range: b.DefRange}
	ctx := d.baseContext()
	if a := content.Attributes["lacp"]; a != nil {
		s.LACP = d.toBool(a, d.eval(a.Expr, ctx))
	}
	if a := content.Attributes["static_lag"]; a != nil {
		s.StaticLAG = d.toBool(a, d.eval(a.Expr, ctx))
	}
	d.plan.Switch = s
}

// addNode registers an object block and decodes its body against the block type's schema,
// which reports unknown arguments with a "did you mean" suggestion.
func (d *decoder) addNode(b *hcl.Block) {
	n := &node{typ: b.Type, label: b.Labels[0], block: b, nested: map[string][]*hcl.BodyContent{}}
	if !hclsyntax.ValidIdentifier(n.label) {
		d.errorf(b.LabelRanges[0].Ptr(), "Invalid block label", "%q is not a valid label: use letters, digits, underscores and dashes, starting with a letter, so that references like %s.<label> work.", n.label, b.Type)
		return
	}
	if prev, ok := d.nodes[n.addr()]; ok {
		d.errorf(b.DefRange.Ptr(), "Duplicate "+b.Type+" block", "%s is already declared at %s. Labels must be unique per block type.", n.addr(), prev.block.DefRange)
		return
	}
	schema := schemas[b.Type]
	content, diags := b.Body.Content(schema)
	d.diags = append(d.diags, diags...)
	n.content = content
	n.incomplete = diags.HasErrors()
	for _, nb := range content.Blocks {
		c, diags := nb.Body.Content(nestedSchemas[nb.Type])
		d.diags = append(d.diags, diags...)
		n.nested[nb.Type] = append(n.nested[nb.Type], c)
		n.incomplete = n.incomplete || diags.HasErrors()
	}
	if a := content.Attributes["for_each"]; a != nil && !forEachTypes[b.Type] {
		d.errorf(a.NameRange.Ptr(), "for_each not allowed here", "for_each works on vlan, bridge and libvirt_network blocks; a %s block declares one object.", b.Type)
		n.incomplete = true
	}
	d.nodes[n.addr()] = n
	d.order = append(d.order, n)
}

// attributes lists every attribute of a node, nested blocks included.
func (n *node) attributes() []*hcl.Attribute {
	var out []*hcl.Attribute
	for _, a := range n.content.Attributes {
		out = append(out, a)
	}
	for _, cs := range n.nested {
		for _, c := range cs {
			for _, a := range c.Attributes {
				out = append(out, a)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Range.Start.Byte < out[j].Range.Start.Byte })
	return out
}

// linkDeps turns references in each block into graph edges, reporting references to
// blocks that do not exist and misuse of each.*.
func (d *decoder) linkDeps() {
	var ghostVars []string
	defer func() {
		for _, v := range ghostVars {
			d.vars[v] = cty.DynamicVal // reported: unknown, so its users are left out quietly
		}
	}()
	isType := map[string]bool{}
	for _, t := range objectTypes {
		isType[t] = true
	}
	for _, n := range d.order {
		seen := map[*node]bool{}
		forEach := n.content.Attributes["for_each"]
		for _, a := range n.attributes() {
			for _, tr := range a.Expr.Variables() {
				root := tr.RootName()
				switch {
				case root == "each":
					if forEach == nil {
						n.broken = true
						d.errorf(tr.SourceRange().Ptr(), "each is only valid with for_each", "each.key and each.value refer to the current element of for_each; %s has no for_each.", n.addr())
					} else if a == forEach {
						n.broken = true
						d.errorf(tr.SourceRange().Ptr(), "Invalid for_each", "for_each cannot refer to each itself.")
					}
				case root == "var":
					if len(tr) < 2 {
						n.broken = true
						d.errorf(tr.SourceRange().Ptr(), "Invalid reference", "Write var.<name> to use a variable.")
					} else if name, ok := tr[1].(hcl.TraverseAttr); ok {
						if _, declared := d.vars[name.Name]; !declared {
							ghostVars = append(ghostVars, name.Name)
							d.errorf(tr.SourceRange().Ptr(), "Reference to undeclared variable", "No variable %q is declared. Add a variable %q {} block.", name.Name, name.Name)
						}
					}
				case isType[root]:
					if len(tr) < 2 {
						n.broken = true
						d.errorf(tr.SourceRange().Ptr(), "Invalid reference", "A reference to a %s needs its label, as in %s.<label>.", root, root)
						continue
					}
					name, ok := tr[1].(hcl.TraverseAttr)
					if !ok {
						n.broken = true
						d.errorf(tr.SourceRange().Ptr(), "Invalid reference", "Write %s.<label>.", root)
						continue
					}
					target, ok := d.nodes[root+"."+name.Name]
					if !ok {
						d.ghost(root, name.Name)
						d.errorf(tr.SourceRange().Ptr(), "Reference to undeclared "+root, "No %s %q is declared in this plan.%s", root, name.Name, d.suggest(root, name.Name))
						continue
					}
					if !seen[target] {
						seen[target] = true
						n.deps = append(n.deps, target)
					}
				}
			}
		}
	}
}

// ghost makes a reference to an undeclared object (reported) evaluate to an unknown value,
// so the block that has it still reports its other errors, and is left out of the plan.
func (d *decoder) ghost(typ, label string) {
	if d.ghosts == nil {
		d.ghosts = map[string]map[string]bool{}
	}
	if d.ghosts[typ] == nil {
		d.ghosts[typ] = map[string]bool{}
	}
	d.ghosts[typ][label] = true
}

func (d *decoder) suggest(typ, label string) string {
	var labels []string
	for _, n := range d.order {
		if n.typ == typ {
			labels = append(labels, n.label)
		}
	}
	if s := nameSuggestion(label, labels); s != "" {
		return fmt.Sprintf(" Did you mean %s.%s?", typ, s)
	}
	return ""
}

// sortNodes orders blocks so that each comes after the blocks it references, reporting
// cycles with their path.
func (d *decoder) sortNodes() []*node {
	const (
		unvisited = iota
		visiting
		done
	)
	state := map[*node]int{}
	var out []*node
	var stack []*node
	var visit func(n *node) bool
	visit = func(n *node) bool {
		switch state[n] {
		case done:
			return true
		case visiting:
			i := len(stack) - 1
			for stack[i] != n {
				i--
			}
			var path []string
			for _, s := range stack[i:] {
				path = append(path, s.addr())
			}
			path = append(path, n.addr())
			d.errorf(n.block.DefRange.Ptr(), "Reference cycle", "These blocks refer to each other in a loop: %s. Interfaces stack one way (NIC → bond → VLAN → bridge).", strings.Join(path, " → "))
			return false
		}
		state[n] = visiting
		stack = append(stack, n)
		for _, dep := range n.deps {
			if !visit(dep) {
				return false
			}
		}
		stack = stack[:len(stack)-1]
		state[n] = done
		out = append(out, n)
		return true
	}
	for _, n := range d.order {
		if state[n] == unvisited && !visit(n) {
			return nil
		}
	}
	return out
}

// decodeVariables declares the variable blocks and resolves their values: default, then
// variable files, then -var assignments, each converted to the declared type.
func (d *decoder) decodeVariables(blocks []*hcl.Block, files []hcl.Body, assigns []string) {
	d.vars = map[string]cty.Value{}
	types := map[string]cty.Type{}
	ranges := map[string]hcl.Range{}
	schema := &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "type"}, {Name: "default"}, {Name: "description"}}}
	for _, b := range blocks {
		name := b.Labels[0]
		if prev, ok := ranges[name]; ok {
			d.errorf(b.DefRange.Ptr(), "Duplicate variable", "Variable %q is already declared at %s.", name, prev)
			continue
		}
		ranges[name] = b.DefRange
		content, diags := b.Body.Content(schema)
		d.diags = append(d.diags, diags...)
		ty := cty.DynamicPseudoType
		if a := content.Attributes["type"]; a != nil {
			t, diags := typeexpr.TypeConstraint(a.Expr)
			d.diags = append(d.diags, diags...)
			ty = t
		}
		types[name] = ty
		d.vars[name] = cty.NullVal(ty)
		if a := content.Attributes["default"]; a != nil {
			v, diags := a.Expr.Value(nil)
			d.diags = append(d.diags, diags...)
			d.vars[name] = d.convertVar(name, v, ty, a.Expr.Range())
		}
	}
	for _, body := range files {
		attrs, diags := body.JustAttributes()
		d.diags = append(d.diags, diags...)
		for name, a := range attrs {
			ty, ok := types[name]
			if !ok {
				d.errorf(a.NameRange.Ptr(), "Undeclared variable", "The plan declares no variable %q.", name)
				continue
			}
			v, diags := a.Expr.Value(nil)
			d.diags = append(d.diags, diags...)
			d.vars[name] = d.convertVar(name, v, ty, a.Expr.Range())
		}
	}
	failed := map[string]bool{}
	for _, as := range assigns {
		name, raw, ok := strings.Cut(as, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			d.errorf(nil, "Invalid --var", "--var %q is not NAME=VALUE (e.g. --var mtu=9000).", as)
			continue
		}
		ty, declared := types[name]
		if !declared {
			hint := ""
			if s := nameSuggestion(name, keysOf(types)); s != "" {
				hint = fmt.Sprintf(" Did you mean %q?", s)
			}
			d.errorf(nil, "Undeclared variable", "--var %s: the plan declares no variable %q.%s", name, name, hint)
			continue
		}
		rng := hcl.Range{Filename: "--var " + name}
		if v, ok := d.varFromFlag(name, raw, ty, rng); ok {
			d.vars[name] = v
		} else {
			failed[name] = true // reported: not "no value" as well
		}
	}
	for name, v := range d.vars {
		if v.IsNull() && !failed[name] {
			r := ranges[name]
			d.errorf(&r, "No value for required variable", "Variable %q has no default: give it with --var %s=VALUE or in a --var-file FILE.", name, name)
		}
		if (v.IsNull() && types[name] != cty.NilType) || failed[name] {
			// Reported: unknown from here on, so the blocks that use it are left out
			// and the others still decode and validate.
			d.vars[name] = cty.UnknownVal(types[name])
		}
	}
}

// varFromFlag converts the text of --var NAME=VALUE to the variable's type. Strings,
// numbers and booleans are taken as typed (--var mtu=9000, --var lacp=true); lists, maps and
// objects are written in HCL (--var 'vlans=[100, 200]'), as with terraform -var. Errors name
// the variable, its type and the value given.
func (d *decoder) varFromFlag(name, raw string, ty cty.Type, rng hcl.Range) (cty.Value, bool) {
	bad := func(format string, args ...any) (cty.Value, bool) {
		d.errorf(nil, "Invalid value for variable", "--var %s=%s: variable %q is %s; %s.", name, raw, name, friendlyType(ty), fmt.Sprintf(format, args...))
		return cty.NilVal, false
	}
	if ty.Equals(cty.String) || ty.Equals(cty.DynamicPseudoType) {
		return cty.StringVal(raw), true
	}
	if ty.IsPrimitiveType() {
		v, err := convert.Convert(cty.StringVal(strings.TrimSpace(raw)), ty)
		if err != nil {
			switch {
			case ty.Equals(cty.Number):
				return bad("%q is not a number", raw)
			case ty.Equals(cty.Bool):
				return bad("%q is not true or false", raw)
			}
			return bad("%s", err)
		}
		return v, true
	}
	expr, diags := hclsyntax.ParseExpression([]byte(raw), rng.Filename, hcl.InitialPos)
	if diags.HasErrors() || len(expr.Variables()) > 0 {
		return bad("write it in HCL, e.g. --var '%s=%s'", name, exampleOf(ty))
	}
	v, diags := expr.Value(nil)
	if diags.HasErrors() {
		return bad("write it in HCL, e.g. --var '%s=%s'", name, exampleOf(ty))
	}
	out, err := convert.Convert(v, ty)
	if err != nil {
		return bad("%s", err)
	}
	return out, true
}

// friendlyType says a type as a plan writes it: "a number", "a list of number".
func friendlyType(ty cty.Type) string {
	switch {
	case ty.Equals(cty.Number):
		return "a number"
	case ty.Equals(cty.Bool):
		return "a bool"
	case ty.Equals(cty.String):
		return "a string"
	}
	return "of type " + typeexpr.TypeString(ty)
}

// exampleOf is a value of ty's shape for hints.
func exampleOf(ty cty.Type) string {
	switch {
	case (ty.IsListType() || ty.IsSetType()) && ty.ElementType().Equals(cty.Number):
		return `[100, 200]`
	case ty.IsListType(), ty.IsSetType(), ty.IsTupleType():
		return `["a", "b"]`
	case ty.IsMapType(), ty.IsObjectType():
		return `{key = "value"}`
	}
	return `"value"`
}

func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (d *decoder) convertVar(name string, v cty.Value, ty cty.Type, rng hcl.Range) cty.Value {
	out, err := convert.Convert(v, ty)
	if err != nil {
		d.errorf(&rng, "Invalid value for variable", "Variable %q: %s.", name, err)
		return cty.UnknownVal(ty) // reported: not "no value" as well
	}
	return out
}

// nameSuggestion returns the candidate closest to given, if close enough to be a typo.
func nameSuggestion(given string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if dist := levenshtein.Distance(given, c, nil); dist < bestDist {
			best, bestDist = c, dist
		}
	}
	return best
}
