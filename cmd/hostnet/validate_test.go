package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hostnet/hostnet/hostnet/jsonout"
	"github.com/hostnet/hostnet/hostnet/jsonout/schematest"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runCLIInput(t, "", args...)
}

// runCLIInput runs the command line with input as standard input.
func runCLIInput(t *testing.T, input string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(input), &out, &errb)
	return code, out.String(), errb.String()
}

// Every example validates clean.
func TestValidateExamples(t *testing.T) {
	mains, err := filepath.Glob("../../examples/*/main.hcl")
	var dirs []string
	for _, m := range mains {
		dirs = append(dirs, filepath.Dir(m))
	}
	if err != nil || len(dirs) < 6 {
		t.Fatalf("examples: %v %v", dirs, err)
	}
	for _, d := range dirs {
		code, out, errs := runCLI(t, "validate", d)
		if code != 0 || strings.Contains(out, "Error:") {
			t.Errorf("%s: exit %d\n%s%s", d, code, out, errs)
		}
	}
	varFile := "../../examples/kvm-lacp-500-vlans/hv2.vars.hcl"
	if code, out, _ := runCLI(t, "validate", "--var-file", varFile, "../../examples/kvm-lacp-500-vlans"); code != 0 {
		t.Errorf("with var file: exit %d\n%s", code, out)
	}
}

const threeErrors = `nic "a" { mac = "52:54:00:00:00:01" }
nic "b" { mac = "52:54:00:00:00:02" }

bond "bond0" {
  slaves       = [nic.a, nic.b]
  mode         = "802.3ad"
  arp_interval = 100
}

vlan "v" {
  link = bond.bond0
  id   = 5000
}

bridge "br0" {
  ports     = [vlan.v]
  addresses = ["198.51.100.10/33"]
}
`

// A plan with three errors reports all three, each with file:line:column and the source.
func TestValidateReportsEveryError(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "plan.hcl")
	if err := os.WriteFile(file, []byte(threeErrors), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCLI(t, "validate", file)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	// hcl's text writer prints "on FILE line N" and the source line; the summary line counts.
	for _, want := range []string{"plan.hcl:7:18", "arp_interval = 100", "plan.hcl:12:10", "id   = 5000", "plan.hcl:17:15", `198.51.100.10/33`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "Error: "); n != 3 {
		t.Errorf("%d errors printed, want 3:\n%s", n, out)
	}

	code, out, _ = runCLI(t, "validate", "--json", file)
	if code != 1 {
		t.Fatalf("--json exit %d", code)
	}
	doc := schematest.Check(t, out)
	reports := doc.Plans
	var got []string
	for _, d := range reports[0].Diagnostics {
		if d.Severity == "error" {
			got = append(got, filepath.Base(d.Range.Filename)+":"+strconv.Itoa(d.Range.Start.Line)+":"+strconv.Itoa(d.Range.Start.Column))
		}
	}
	want := []string{"plan.hcl:7:18", "plan.hcl:12:10", "plan.hcl:17:15"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("error positions %v, want %v", got, want)
	}
	if reports[0].Valid || reports[0].ErrorCount != 3 {
		t.Errorf("report: %+v", reports[0])
	}
	if doc.ExitCode != 1 || doc.Error == nil || doc.Error.Kind != "invalid_plan" {
		t.Errorf("document: exit %d, error %+v", doc.ExitCode, doc.Error)
	}
	var rules []string
	for _, d := range reports[0].Diagnostics {
		rules = append(rules, d.Rule)
	}
	if want := "option-mode vlan-id-range decode.invalid-address"; strings.Join(rules, " ") != want {
		t.Errorf("rules %q, want %q", strings.Join(rules, " "), want)
	}
}

func TestValidateMissingPath(t *testing.T) {
	code, out, _ := runCLI(t, "validate", "/nonexistent/plan.hcl")
	if code != 1 || !strings.Contains(out, "Cannot read plan") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runCLI(t, "version")
	if code != 0 || !strings.HasPrefix(out, "hostnet ") {
		t.Fatalf("exit %d: %q", code, out)
	}
	for _, want := range []string{"revision: ", "go: go1.", "json format: " + jsonout.FormatVersion} {
		if !strings.Contains(out, want) {
			t.Errorf("version lacks %q:\n%s", want, out)
		}
	}
	code, short, _ := runCLI(t, "--version")
	if code != 0 || !strings.HasPrefix(short, "hostnet ") || strings.Count(short, "\n") != 1 {
		t.Fatalf("--version: exit %d: %q", code, short)
	}
}

// One run reports the errors of every block: a missing variable, an unknown argument, a
// bad value, a rule of validation, undeclared references (and the other errors of the
// blocks that have them), a bad address, a bad route; and nothing that only follows from
// another error (the bond with the misspelt option is not also "without monitoring").
func TestValidateErrorsInEveryBlock(t *testing.T) {
	code, out, _ := runCLI(t, "validate", "--json", "testdata/errors-in-every-block.hcl")
	doc := schematest.Check(t, out)
	if code != 1 || len(doc.Plans) != 1 {
		t.Fatalf("exit %d", code)
	}
	var got []string
	for _, d := range doc.Plans[0].Diagnostics {
		got = append(got, strconv.Itoa(d.Range.Start.Line)+" "+d.Rule)
	}
	want := []string{
		"1 decode.no-value-for-required-variable",
		"4 decode.unsupported-argument",
		"7 decode.invalid-mac-address",
		"11 option-mode",
		"14 decode.reference-to-undeclared-nic",
		"15 decode.invalid-value-for-mode",
		"19 vlan-id-range",
		"22 decode.reference-to-undeclared-bond",
		"23 decode.invalid-address",
		"28 decode.invalid-ip-address",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("diagnostics:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
