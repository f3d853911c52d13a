package plan

import (
	"fmt"
	"io"
	"math/big"
	"os"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// Bounds on what an untrusted plan can make hostnet read, parse and build. Each one, when
// hit, is a diagnostic that names it; none is near what a real host plan needs (the
// 500-VLAN example uses a few kilobytes, nesting 4 and a few thousand elements).
const (
	// MaxFileBytes bounds one plan or variables file (a 50,000-block plan is about 5 MB).
	MaxFileBytes = 32 << 20
	// MaxNesting bounds brackets, braces, parentheses and string interpolations open at
	// once; HCL's parser recurses on each, so 100,000 of them would overflow the stack.
	MaxNesting = 100
	// MaxOperators bounds the operators of one expression (a+b+c... nests one level per
	// operator when parsed).
	MaxOperators = 1000
	// MaxElements bounds the collection elements that functions and for expressions may
	// produce in one decode, all calls together (range(4094) uses 4,094; two range(65536) fill it).
	MaxElements = 1 << 17
	// MaxWork bounds the collection elements passed to functions in one decode, all calls
	// together, counting each argument's top-level length (cty walks every argument before
	// a call). A lookup in a 250-entry map for each of 4,000 VLANs is 1 million: with
	// thousands of instances, iterate the map itself (for_each = var.map, each.value).
	MaxWork = 1 << 20
	// MaxStringBytes bounds the bytes that templates and string functions may produce in
	// one decode, all together.
	MaxStringBytes = 64 << 20
	// MaxNumberBits bounds the binary exponent of a number (about 1e1233): arithmetic stays
	// cheap, but writing 1e600000000 out as text would take 600 MB.
	MaxNumberBits = 4096
	// MaxDiagnostics bounds the diagnostics of one decode (random bytes make thousands).
	MaxDiagnostics = 100
)

// readPlanFile reads a plan or variables file: a regular file (following links), at most
// MaxFileBytes. A link to /dev/zero, a FIFO or a directory is refused before any read.
func readPlanFile(path string) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO must not wait for a writer before it is refused.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s); plan files must be regular files", path, st.Mode().Type())
	}
	if st.Size() > MaxFileBytes {
		return nil, fmt.Errorf("%s is %d bytes, above hostnet's limit of %d MiB for one plan file", path, st.Size(), MaxFileBytes>>20)
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxFileBytes {
		return nil, fmt.Errorf("%s grew above hostnet's limit of %d MiB for one plan file while being read", path, MaxFileBytes>>20)
	}
	return b, nil
}

// checkSource refuses, before parsing, a source larger than MaxFileBytes or nesting
// deeper than MaxNesting. It follows HCL's lexical structure closely enough for depth:
// comments and the literal parts of quoted strings do not count, interpolations do.
func checkSource(name string, src []byte) *hcl.Diagnostic {
	if len(src) > MaxFileBytes {
		return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Plan file too large",
			Detail:  fmt.Sprintf("%s is %d bytes, above hostnet's limit of %d MiB for one plan file (MaxFileBytes).", name, len(src), MaxFileBytes>>20),
			Subject: &hcl.Range{Filename: name, Start: hcl.InitialPos, End: hcl.InitialPos}}
	}
	var stack []byte // '(', '[', '{', '"' (in a string), 'i' (an interpolation)
	line, col := 1, 1
	for i := 0; i < len(src); i++ {
		c := src[i]
		top := byte(0)
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		opened := false
		if top == '"' {
			switch {
			case c == '\\':
				i++
			case c == '"' || c == '\n':
				stack = stack[:len(stack)-1]
			case (c == '$' || c == '%') && i+1 < len(src) && src[i+1] == '{':
				i++
				stack = append(stack, 'i')
				opened = true
			}
		} else {
			switch c {
			case '#':
				for i < len(src) && src[i] != '\n' {
					i++
				}
			case '/':
				if i+1 < len(src) && src[i+1] == '/' {
					for i < len(src) && src[i] != '\n' {
						i++
					}
				} else if i+1 < len(src) && src[i+1] == '*' {
					end := strings.Index(string(src[i+2:]), "*/")
					if end < 0 {
						i = len(src)
					} else {
						i += end + 3
					}
				}
			case '"':
				stack = append(stack, '"')
				opened = true
			case '(', '[', '{':
				stack = append(stack, c)
				opened = true
			case ')', ']', '}':
				if len(stack) > 0 {
					stack = stack[:len(stack)-1]
				}
			}
		}
		if opened && len(stack) > MaxNesting {
			pos := hcl.Pos{Line: line, Column: col, Byte: i}
			return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Nesting too deep",
				Detail:  fmt.Sprintf("More than %d brackets, braces, parentheses and interpolations are open here; hostnet's limit is %d (MaxNesting). Flatten the expression.", MaxNesting, MaxNesting),
				Subject: &hcl.Range{Filename: name, Start: pos, End: pos}}
		}
		if i < len(src) && src[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return nil
}

// budget counts what one decode's expressions have produced, against MaxElements and
// MaxStringBytes.
type budget struct {
	elements, bytes, work int64
	// spent is the first error: once the budget is spent every checked call fails at once,
	// so that the remaining iterations of a for expression (HCL evaluates them all, even
	// after an error) cost nothing.
	spent error
}

func (b *budget) chargeElements(n int64, what string) error {
	if b.spent != nil {
		return b.spent
	}
	b.elements += n
	if n < 0 || n > MaxElements || b.elements > MaxElements {
		b.spent = fmt.Errorf("%s would take the plan above hostnet's limit of %d collection elements made by functions and for expressions (MaxElements)", what, MaxElements)
		return b.spent
	}
	return nil
}

func (b *budget) chargeWork(n int64) error {
	if b.spent != nil {
		return b.spent
	}
	b.work += n
	if b.work > MaxWork {
		b.spent = fmt.Errorf("the function calls of this plan would handle more than %d values, hostnet's limit (MaxWork)", MaxWork)
		return b.spent
	}
	return nil
}

func (b *budget) chargeBytes(n int64, what string) error {
	if b.spent != nil {
		return b.spent
	}
	b.bytes += n
	if n < 0 || n > MaxStringBytes || b.bytes > MaxStringBytes {
		b.spent = fmt.Errorf("%s would take the plan above hostnet's limit of %d MiB of strings made by templates and functions (MaxStringBytes)", what, MaxStringBytes>>20)
		return b.spent
	}
	return nil
}

// bigNumber reports a number whose magnitude is outside 2^±MaxNumberBits.
func bigNumber(v cty.Value) bool {
	if v.IsNull() || !v.IsKnown() || v.Type() != cty.Number {
		return false
	}
	f := v.AsBigFloat()
	if f.IsInf() {
		return true
	}
	if f.Sign() == 0 {
		return false
	}
	e := f.MantExp(nil)
	return e > MaxNumberBits || e < -MaxNumberBits
}

var errBigNumber = fmt.Errorf("a number is beyond ±2^%d, hostnet's limit (MaxNumberBits)", MaxNumberBits)

// checkValue walks a value (a variable's) for numbers beyond MaxNumberBits, charging its
// size to nothing: its size is bounded by the file it came from.
func checkValue(v cty.Value) error {
	var err error
	_ = cty.Walk(v, func(_ cty.Path, x cty.Value) (bool, error) {
		if err == nil && bigNumber(x) {
			err = errBigNumber
		}
		return err == nil, nil
	})
	return err
}

// numText writes a number for a message: exactly when it is small, else in 12 digits.
func numText(f *big.Float) string {
	if f.IsInt() && f.MantExp(nil) <= 64 {
		return f.Text('f', -1)
	}
	return f.Text('g', 12)
}

// checkedExpr wraps an expression of a parsed file with a check of its value against the
// decode's budget. Embedding the interface keeps hclsyntax's own tree walking; Value fails
// at once, without evaluating, once the budget is spent, so that the remaining iterations
// of a for expression (HCL evaluates them all, even after an error) cost nothing.
type checkedExpr struct {
	hclsyntax.Expression
	b     *budget
	check func(b *budget, v cty.Value) (cty.Value, error)
}

func (e *checkedExpr) Value(ctx *hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
	fail := func(err error) (cty.Value, hcl.Diagnostics) {
		return cty.DynamicVal, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Plan too large",
			Detail: err.Error() + ".", Subject: e.Expression.Range().Ptr()}}
	}
	if e.b.spent != nil {
		return fail(e.b.spent)
	}
	v, diags := e.Expression.Value(ctx)
	if diags.HasErrors() {
		return cty.DynamicVal, diags // nothing to convert further
	}
	if !v.IsWhollyKnown() {
		return v, diags
	}
	v, err := e.check(e.b, v)
	if err != nil {
		return fail(err)
	}
	return v, diags
}

// iterated charges a for expression's collection, element by element.
func iterated(b *budget, v cty.Value) (cty.Value, error) {
	if v.IsNull() || !v.CanIterateElements() {
		return v, nil
	}
	return v, b.chargeElements(int64(v.LengthInt()), "this for expression")
}

// part charges a template part's bytes and refuses a huge number (written out as text).
func part(b *budget, v cty.Value) (cty.Value, error) {
	if bigNumber(v) {
		return v, errBigNumber
	}
	if !v.IsNull() && v.Type() == cty.String {
		return v, b.chargeBytes(int64(len(v.AsString())), "this template")
	}
	return v, nil
}

// operand refuses huge numbers going into arithmetic, also as strings HCL converts.
func operand(_ *budget, v cty.Value) (cty.Value, error) {
	if !v.IsNull() && v.Type() == cty.String {
		if f, _, err := big.ParseFloat(strings.TrimSpace(v.AsString()), 10, 64, big.ToNearestEven); err == nil && bigNumber(cty.NumberVal(f)) {
			return v, errBigNumber
		}
	}
	if bigNumber(v) {
		return v, errBigNumber
	}
	return v, nil
}

// argument charges the work of passing a value to a function: cty walks every argument
// deeply before the call, so a small function in a large loop is as costly as its
// arguments are large. A tuple (what a for expression makes) whose elements share one type
// becomes a list here: cty would otherwise unify its element types pairwise when the
// function wants a list, quadratic in its length.
func argument(b *budget, v cty.Value) (cty.Value, error) {
	n := int64(1)
	if !v.IsNull() && v.CanIterateElements() {
		n += int64(v.LengthInt())
	}
	if err := b.chargeWork(n); err != nil {
		return v, err
	}
	return listify(v)
}

// maxMixedTuple bounds a tuple of mixed element types that cty may have to unify (pairwise).
const maxMixedTuple = 4096

// listify turns a tuple whose elements share one type into a list of them; a tuple of
// mixed types longer than maxMixedTuple is refused.
func listify(v cty.Value) (cty.Value, error) {
	if v.IsNull() || !v.IsKnown() || !v.Type().IsTupleType() || v.LengthInt() == 0 {
		return v, nil
	}
	elems := v.AsValueSlice()
	ty := elems[0].Type()
	for _, e := range elems[1:] {
		if !e.Type().Equals(ty) {
			if len(elems) > maxMixedTuple {
				return v, fmt.Errorf("this tuple has %d elements of mixed types; hostnet converts at most %d of them (cty unifies their types pairwise)", len(elems), maxMixedTuple)
			}
			return v, nil
		}
	}
	return cty.ListVal(elems), nil
}

// bound rewrites the expressions of a parsed file so that evaluation stays within the
// budget b: a for expression's collection, every template part, every arithmetic operand
// and every function argument pass through a checkedExpr. It also refuses number literals
// beyond MaxNumberBits and expressions with more than MaxOperators operators.
func bound(body hcl.Body, b *budget) hcl.Diagnostics {
	sb, ok := body.(*hclsyntax.Body)
	if !ok {
		return nil
	}
	var diags hcl.Diagnostics
	wrap := func(e hclsyntax.Expression, check func(*budget, cty.Value) (cty.Value, error)) hclsyntax.Expression {
		return &checkedExpr{Expression: e, b: b, check: check}
	}
	// Collect first, then wrap: a checkedExpr walks its children through the embedded
	// expression, so a node wrapped during the walk would not be visited itself.
	// A variable's type (list(string)) is a type expression, never evaluated: left as is.
	skip := map[hclsyntax.Expression]bool{}
	for _, blk := range sb.Blocks {
		if a := blk.Body.Attributes["type"]; blk.Type == "variable" && a != nil {
			hclsyntax.VisitAll(a.Expr, func(n hclsyntax.Node) hcl.Diagnostics {
				if e, ok := n.(hclsyntax.Expression); ok {
					skip[e] = true
				}
				return nil
			})
		}
	}
	var nodes []hclsyntax.Node
	hclsyntax.VisitAll(sb, func(n hclsyntax.Node) hcl.Diagnostics {
		if e, ok := n.(hclsyntax.Expression); !ok || !skip[e] {
			nodes = append(nodes, n)
		}
		return nil
	})
	operators := 0
	for _, n := range nodes {
		switch e := n.(type) {
		case *hclsyntax.Attribute:
			operators = 0
		case *hclsyntax.ForExpr:
			e.CollExpr = wrap(e.CollExpr, iterated)
		case *hclsyntax.TemplateExpr:
			for i, p := range e.Parts {
				if _, lit := p.(*hclsyntax.LiteralValueExpr); !lit {
					e.Parts[i] = wrap(p, part)
				}
			}
		case *hclsyntax.FunctionCallExpr:
			for i, a := range e.Args {
				e.Args[i] = wrap(a, argument)
			}
		case *hclsyntax.BinaryOpExpr:
			operators++
			e.LHS, e.RHS = wrap(e.LHS, operand), wrap(e.RHS, operand)
		case *hclsyntax.UnaryOpExpr, *hclsyntax.ConditionalExpr:
			operators++
		case *hclsyntax.LiteralValueExpr:
			if bigNumber(e.Val) {
				r := e.SrcRange
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Number too large",
					Detail: fmt.Sprintf("This number is beyond ±2^%d, hostnet's limit for numbers (MaxNumberBits).", MaxNumberBits), Subject: &r})
			}
		}
		if operators == MaxOperators+1 {
			operators++ // report once per attribute
			r := n.Range()
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Expression too long",
				Detail: fmt.Sprintf("This attribute's expression has more than %d operators, hostnet's limit (MaxOperators).", MaxOperators), Subject: &r})
		}
	}
	return diags
}

// checkOperators is a cheap pre-parse bound for operator chains: HCL parses a+b+c...
// into a nested tree, so a long chain would recurse as deep as it is long. It counts the
// operator characters of each line outside strings and comments.
func checkOperators(name string, src []byte) *hcl.Diagnostic {
	n, line := 0, 1
	inStr := false
	for i := 0; i < len(src); i++ {
		c := src[i]
		if inStr {
			switch c {
			case '\\':
				i++
			case '"', '\n':
				inStr = false
			}
			if c != '\n' {
				continue
			}
		}
		switch c {
		case '\n':
			n, line = 0, line+1
			continue
		case '"':
			inStr = true
		case '#':
			for i+1 < len(src) && src[i+1] != '\n' {
				i++
			}
		case '+', '-', '*', '/', '%', '!', '?', '&', '|', '<', '>', '=':
			n++
		}
		if n > 4*MaxOperators {
			pos := hcl.Pos{Line: line, Column: 1}
			return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Expression too long",
				Detail:  fmt.Sprintf("This line has more than %d operators; hostnet's limit per expression is %d (MaxOperators).", 4*MaxOperators, MaxOperators),
				Subject: &hcl.Range{Filename: name, Start: pos, End: pos}}
		}
	}
	return nil
}

// boundedFunctions returns the plan's functions wrapped to charge b before they allocate.
func boundedFunctions(b *budget) map[string]function.Function {
	out := make(map[string]function.Function, len(functions))
	for name, f := range functions {
		out[name] = wrapFunction(name, f, b)
	}
	return out
}

// growth says how a function's output grows with its arguments, so that the budget is
// charged before the function allocates.
var growth = map[string]func(args []cty.Value) (elements, bytes int64){
	"concat":     sumLengths,
	"merge":      sumLengths,
	"flatten":    func(a []cty.Value) (int64, int64) { return leaves(a), 0 },
	"distinct":   sumLengths,
	"keys":       sumLengths,
	"values":     sumLengths,
	"zipmap":     sumLengths,
	"toset":      sumLengths,
	"tolist":     sumLengths,
	"setproduct": productLengths,
	"split": func(a []cty.Value) (int64, int64) {
		s := strLen(a[len(a)-1])
		return s + 1, s
	},
	"join": func(a []cty.Value) (int64, int64) {
		sep := strLen(a[0])
		var n int64
		for _, l := range a[1:] {
			n += strLens(l) + sep*length(l)
		}
		return 0, n
	},
	"replace": func(a []cty.Value) (int64, int64) {
		if !known(a...) || len(a) != 3 {
			return 0, 0
		}
		s, sub, repl := a[0].AsString(), a[1].AsString(), a[2].AsString()
		n := int64(1)
		if sub != "" {
			n = int64(strings.Count(s, sub))
		} else {
			n = int64(utf8.RuneCountInString(s)) + 1
		}
		return 0, int64(len(s)) + n*int64(len(repl))
	},
	"format":     formatGrowth,
	"formatlist": formatGrowth,
	"upper":      func(a []cty.Value) (int64, int64) { return 0, strLen(a[0]) },
	"lower":      func(a []cty.Value) (int64, int64) { return 0, strLen(a[0]) },
}

func known(vs ...cty.Value) bool {
	for _, v := range vs {
		if !v.IsWhollyKnown() || v.IsNull() {
			return false
		}
	}
	return true
}

func length(v cty.Value) int64 {
	if !known(v) || !v.CanIterateElements() {
		return 0
	}
	return int64(v.LengthInt())
}

func strLen(v cty.Value) int64 {
	if !known(v) || v.Type() != cty.String {
		return 0
	}
	return int64(len(v.AsString()))
}

// strLens sums the lengths of a collection's strings.
func strLens(v cty.Value) int64 {
	if !known(v) || !v.CanIterateElements() {
		return strLen(v)
	}
	var n int64
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		n += strLen(e) + 24 // a number converted to a string is short (MaxNumberBits)
	}
	return n
}

func sumLengths(a []cty.Value) (int64, int64) {
	var n int64
	for _, v := range a {
		n += length(v)
	}
	return n, 0
}

func productLengths(a []cty.Value) (int64, int64) {
	n := int64(1)
	for _, v := range a {
		l := length(v)
		if l > 0 && n > (MaxElements+1)/l {
			return MaxElements + 1, 0
		}
		n *= l
	}
	return n, 0
}

func leaves(a []cty.Value) int64 {
	var n int64
	for _, v := range a {
		_ = cty.Walk(v, func(_ cty.Path, x cty.Value) (bool, error) {
			n++
			return n <= MaxElements, nil
		})
	}
	return n
}

// formatGrowth bounds format and formatlist: widths and precisions are at most 1000, and
// each of the (at most max-list-length) results holds the format and every argument.
func formatGrowth(a []cty.Value) (int64, int64) {
	if len(a) == 0 || !known(a[0]) || a[0].Type() != cty.String {
		return 0, 0
	}
	f := a[0].AsString()
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			continue
		}
		j := i + 1
		for j < len(f) && strings.IndexByte("+-# 0123456789.[]*", f[j]) >= 0 {
			j++
		}
		num := 0
		for _, c := range f[i+1 : j] {
			if c >= '0' && c <= '9' {
				num = num*10 + int(c-'0')
				if num > 1000 {
					return 0, MaxStringBytes + 1
				}
			} else {
				num = 0
			}
		}
		i = j
	}
	rows, per := int64(1), int64(len(f))+int64(strings.Count(f, "%"))*1000
	for _, v := range a[1:] {
		if known(v) && (v.Type().IsListType() || v.Type().IsTupleType()) {
			if l := length(v); l > rows {
				rows = l
			}
			per += strLens(v)
		} else {
			per += strLen(v) + 24
		}
	}
	if rows > 0 && per > (MaxStringBytes+1)/rows {
		return rows, MaxStringBytes + 1
	}
	return rows, rows * per
}

// wrapFunction charges a function's growth to b before calling it and refuses a number
// result beyond MaxNumberBits (tonumber("1e600000000")).
func wrapFunction(name string, f function.Function, b *budget) function.Function {
	spec := &function.Spec{
		Params:   f.Params(),
		VarParam: f.VarParam(),
		Type:     func(args []cty.Value) (cty.Type, error) { return f.ReturnTypeForValues(args) },
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			if b.spent != nil {
				return cty.NilVal, b.spent
			}
			if g := growth[name]; g != nil {
				el, by := g(args)
				if err := b.chargeElements(el, name+"()"); err != nil {
					return cty.NilVal, err
				}
				if err := b.chargeBytes(by, name+"()"); err != nil {
					return cty.NilVal, err
				}
			}
			v, err := f.Call(args)
			if err == nil && bigNumber(v) {
				return cty.NilVal, errBigNumber
			}
			if err == nil && growth[name] == nil && v.IsKnown() && !v.IsNull() && v.CanIterateElements() {
				// range and the like: what they made is at most MaxRange; charge it now.
				err = b.chargeElements(int64(v.LengthInt()), name+"()")
			}
			return v, err
		},
	}
	return function.New(spec)
}

// capDiagnostics keeps the first MaxDiagnostics diagnostics and says how many more there
// were; summaries and details are made printable (random input must not reach a terminal).
func capDiagnostics(diags hcl.Diagnostics) hcl.Diagnostics {
	for _, d := range diags {
		d.Summary, d.Detail = printable(d.Summary), printable(d.Detail)
	}
	if len(diags) <= MaxDiagnostics {
		return diags
	}
	rest := len(diags) - MaxDiagnostics
	out := append(hcl.Diagnostics{}, diags[:MaxDiagnostics]...)
	out = append(out, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Too many errors",
		Detail:  fmt.Sprintf("%d more diagnostics were left out (hostnet shows at most %d, MaxDiagnostics); fix the ones above first.", rest, MaxDiagnostics),
		Subject: diags[MaxDiagnostics-1].Subject})
	return out
}

// printable escapes invalid UTF-8 and control characters other than newline and tab.
func printable(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r < 0xa0):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}
