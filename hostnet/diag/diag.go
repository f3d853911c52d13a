// Package diag renders HCL diagnostics for people (file:line:column, the source line with
// the offending range underlined, the detail) and for machines (JSON).
package diag

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcled"
)

// Sort orders diagnostics by file and position, errors before warnings at one position,
// so output is stable whatever order the checks ran in.
func Sort(diags hcl.Diagnostics) {
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i], diags[j]
		ra, rb := rangeOf(a), rangeOf(b)
		if ra.Filename != rb.Filename {
			return ra.Filename < rb.Filename
		}
		if ra.Start.Byte != rb.Start.Byte {
			return ra.Start.Byte < rb.Start.Byte
		}
		return a.Severity < b.Severity
	})
}

func rangeOf(d *hcl.Diagnostic) hcl.Range {
	if d.Subject != nil {
		return *d.Subject
	}
	return hcl.Range{}
}

// WriteText prints each diagnostic for a terminal, compiler style, so that editors and
// people can jump to it:
//
//	Error: Option not valid for mode
//
//	  on plan.hcl:7:18, in bond "bond0":
//	     7 |   arp_interval = 100
//	       |                  ^^^
//
//	arp_interval applies only in modes ...
func WriteText(w io.Writer, files map[string]*hcl.File, diags hcl.Diagnostics, width uint) error {
	for _, d := range diags {
		sev := "Error"
		if d.Severity == hcl.DiagWarning {
			sev = "Warning"
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s: %s\n", sev, d.Summary)
		if r := d.Subject; r != nil {
			fmt.Fprintf(&b, "\n  on %s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
			if f := files[r.Filename]; f != nil {
				if ctx := hcled.ContextString(f, r.Start.Byte); ctx != "" {
					fmt.Fprintf(&b, ", in %s", ctx)
				}
				b.WriteString(":\n")
				writeSnippet(&b, f.Bytes, *r)
			} else {
				b.WriteString(":\n")
			}
		}
		if d.Detail != "" {
			b.WriteString("\n")
			b.WriteString(wrap(d.Detail, int(width)))
			b.WriteString("\n")
		}
		b.WriteString("\n")
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
	}
	return nil
}

// writeSnippet prints the first line of r with a caret underline beneath the range.
func writeSnippet(b *strings.Builder, src []byte, r hcl.Range) {
	if r.Start.Byte > len(src) {
		return
	}
	start, end := r.Start.Byte, r.Start.Byte
	for start > 0 && src[start-1] != '\n' {
		start--
	}
	for end < len(src) && src[end] != '\n' {
		end++
	}
	line := strings.ReplaceAll(string(src[start:end]), "\t", " ")
	fmt.Fprintf(b, "  %4d | %s\n", r.Start.Line, line)
	col := r.Start.Column - 1
	n := r.End.Column - r.Start.Column
	if r.End.Line != r.Start.Line || n <= 0 {
		n = max(1, len([]rune(line))-col)
	}
	if col < 0 || col > len([]rune(line)) {
		return
	}
	fmt.Fprintf(b, "       | %s%s\n", strings.Repeat(" ", col), strings.Repeat("^", n))
}

// wrap folds text at width columns, keeping words whole.
func wrap(text string, width int) string {
	if width <= 0 {
		return text
	}
	var out strings.Builder
	for pi, para := range strings.Split(text, "\n") {
		if pi > 0 {
			out.WriteString("\n")
		}
		col := 0
		for i, word := range strings.Fields(para) {
			if i > 0 && col+1+len(word) > width {
				out.WriteString("\n")
				col = 0
			} else if i > 0 {
				out.WriteString(" ")
				col++
			}
			out.WriteString(word)
			col += len(word)
		}
	}
	return out.String()
}

// Summary is the one-line count printed after diagnostics.
func Summary(diags hcl.Diagnostics) string {
	e, w := Count(diags)
	return fmt.Sprintf("%d error(s), %d warning(s)", e, w)
}

// Count returns the numbers of errors and warnings.
func Count(diags hcl.Diagnostics) (errors, warnings int) {
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			errors++
		} else {
			warnings++
		}
	}
	return
}

// Pos is a position in a file, 1-based line and column as editors show them.
type Pos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

// Range is a span of source.
type Range struct {
	Filename string `json:"filename"`
	Start    Pos    `json:"start"`
	End      Pos    `json:"end"`
}

// JSONDiagnostic is the machine form of one diagnostic, shaped as terraform validate -json.
type JSONDiagnostic struct {
	Severity string `json:"severity"`
	// Rule identifies the check that produced the diagnostic (see RuleOf).
	Rule    string `json:"rule"`
	Summary string `json:"summary"`
	Detail  string `json:"detail,omitempty"`
	Range   *Range `json:"range,omitempty"`
	// Source is the text of the first line of the range, for tools without the files.
	Source string `json:"source,omitempty"`
}

// ToJSON converts diagnostics to their machine form.
func ToJSON(files map[string]*hcl.File, diags hcl.Diagnostics) []JSONDiagnostic {
	out := make([]JSONDiagnostic, 0, len(diags))
	for _, d := range diags {
		j := JSONDiagnostic{Severity: "error", Rule: RuleOf(d), Summary: d.Summary, Detail: d.Detail}
		if d.Severity == hcl.DiagWarning {
			j.Severity = "warning"
		}
		if s := d.Subject; s != nil {
			j.Range = &Range{
				Filename: s.Filename,
				Start:    Pos{s.Start.Line, s.Start.Column, s.Start.Byte},
				End:      Pos{s.End.Line, s.End.Column, s.End.Byte},
			}
			j.Source = sourceLine(files, *s)
		}
		out = append(out, j)
	}
	return out
}

func sourceLine(files map[string]*hcl.File, r hcl.Range) string {
	f := files[r.Filename]
	if f == nil || r.Start.Byte > len(f.Bytes) {
		return ""
	}
	src := f.Bytes
	start, end := r.Start.Byte, r.Start.Byte
	for start > 0 && src[start-1] != '\n' {
		start--
	}
	for end < len(src) && src[end] != '\n' {
		end++
	}
	return string(src[start:end])
}

// Ruled is carried in Diagnostic.Extra by diagnostics that come from a named rule (the
// validation rules, see hostnet/validate.RuleID).
type Ruled interface{ Rule() string }

// RuleOf identifies the check behind a diagnostic: the rule id in Extra when it has one,
// otherwise "decode." followed by its summary in lower case with dashes (the decoder's
// and HCL's diagnostics, e.g. "decode.unsupported-argument").
func RuleOf(d *hcl.Diagnostic) string {
	if r, ok := d.Extra.(Ruled); ok && r.Rule() != "" {
		return r.Rule()
	}
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(d.Summary) {
		if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(c)
			dash = false
		} else {
			dash = true
		}
	}
	if b.Len() == 0 {
		return "decode"
	}
	return "decode." + b.String()
}

// WriteJSON writes a report of one or more plans' diagnostics.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
