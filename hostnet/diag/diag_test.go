package diag

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
)

const src = `bond "bond0" {
  mode         = "802.3ad"
  arp_interval = 100
}
`

func parsed(t *testing.T) map[string]*hcl.File {
	t.Helper()
	p := hclparse.NewParser()
	if _, diags := p.ParseHCL([]byte(src), "plan.hcl"); diags.HasErrors() {
		t.Fatal(diags)
	}
	return p.Files()
}

func rng(line, col, endCol int) *hcl.Range {
	// byte offsets of the test source: line 3 starts at byte 41.
	start := 41 + col - 1
	return &hcl.Range{Filename: "plan.hcl", Start: hcl.Pos{Line: line, Column: col, Byte: start}, End: hcl.Pos{Line: line, Column: endCol, Byte: start + endCol - col}}
}

// Text names file:line:column and the block, shows the line and underlines the range.
func TestWriteText(t *testing.T) {
	d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Option not valid for mode", Detail: "arp_interval does not apply in 802.3ad.", Subject: rng(3, 18, 21)}
	var b strings.Builder
	if err := WriteText(&b, parsed(t), hcl.Diagnostics{d}, 80); err != nil {
		t.Fatal(err)
	}
	want := `Error: Option not valid for mode

  on plan.hcl:3:18, in bond "bond0":
     3 |   arp_interval = 100
       |                  ^^^

arp_interval does not apply in 802.3ad.

`
	if b.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestWrapAndCount(t *testing.T) {
	if got := wrap("aaa bbb ccc", 7); got != "aaa bbb\nccc" {
		t.Errorf("wrap: %q", got)
	}
	diags := hcl.Diagnostics{{Severity: hcl.DiagError}, {Severity: hcl.DiagWarning}, {Severity: hcl.DiagWarning}}
	if e, w := Count(diags); e != 1 || w != 2 || Summary(diags) != "1 error(s), 2 warning(s)" {
		t.Errorf("count %d %d %q", e, w, Summary(diags))
	}
}

func TestJSONAndSort(t *testing.T) {
	late := &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "late", Subject: rng(3, 18, 21)}
	early := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "early", Subject: &hcl.Range{Filename: "plan.hcl", Start: hcl.Pos{Line: 1, Column: 1}}}
	diags := hcl.Diagnostics{late, early}
	Sort(diags)
	if diags[0] != early {
		t.Fatal("Sort orders by position")
	}
	j := ToJSON(parsed(t), hcl.Diagnostics{late})
	if j[0].Severity != "warning" || j[0].Range.Start.Line != 3 || j[0].Range.Start.Column != 18 || j[0].Source != "  arp_interval = 100" {
		t.Fatalf("%+v", j[0])
	}
}
