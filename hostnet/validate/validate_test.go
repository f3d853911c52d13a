package validate_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/hostnet/hostnet/hostnet/plan"
	"github.com/hostnet/hostnet/hostnet/validate"
)

// expectation is one `# expect: SEVERITY LINE "SUMMARY SUBSTRING"` comment of a test plan.
type expectation struct {
	severity hcl.DiagnosticSeverity
	line     int
	summary  string
}

func (e expectation) String() string {
	return fmt.Sprintf("%s %d %q", sevName(e.severity), e.line, e.summary)
}

func sevName(s hcl.DiagnosticSeverity) string {
	if s == hcl.DiagWarning {
		return "warning"
	}
	return "error"
}

var expectRE = regexp.MustCompile(`^#\s*expect:\s*(error|warning)\s+(\d+)\s+"([^"]+)"\s*$`)

func readExpectations(t *testing.T, path string) []expectation {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []expectation
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "#") {
			break // expectations are the leading comment lines
		}
		if !strings.Contains(line, "expect:") {
			continue
		}
		m := expectRE.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("%s: malformed expectation %q", path, line)
		}
		sev := hcl.DiagError
		if m[1] == "warning" {
			sev = hcl.DiagWarning
		}
		n, _ := strconv.Atoi(m[2])
		out = append(out, expectation{sev, n, m[3]})
	}
	return out
}

// run loads a plan and validates it as `hostnet validate` does: the partial plan that
// comes with decoder errors is validated too. Decoder diagnostics come first.
func run(path string) (hcl.Diagnostics, map[string]*hcl.File) {
	p, files, diags := plan.LoadWithFiles(path, plan.LoadOptions{})
	return append(diags, validate.Plan(p)...), files
}

func matches(e expectation, d *hcl.Diagnostic) bool {
	return d.Severity == e.severity && d.Subject != nil && d.Subject.Start.Line == e.line &&
		strings.Contains(d.Summary, e.summary)
}

func format(files map[string]*hcl.File, diags hcl.Diagnostics) string {
	var b strings.Builder
	w := hcl.NewDiagnosticTextWriter(&b, files, 120, false)
	_ = w.WriteDiagnostics(diags)
	return b.String()
}

// TestPlans runs every plan under testdata: each diagnostic must be expected by the file
// and each expectation met. Files under valid/ may expect warnings, never errors.
func TestPlans(t *testing.T) {
	for _, dir := range []string{"invalid", "valid"} {
		files, err := filepath.Glob(filepath.Join("testdata", dir, "*.hcl"))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) == 0 {
			t.Fatalf("no plans in testdata/%s", dir)
		}
		for _, path := range files {
			t.Run(dir+"/"+filepath.Base(path), func(t *testing.T) {
				exps := readExpectations(t, path)
				diags, files := run(path)
				errs := 0
				for _, e := range exps {
					if e.severity == hcl.DiagError {
						errs++
					}
				}
				if dir == "invalid" && len(exps) == 0 {
					t.Fatalf("%s expects nothing; an invalid plan must expect a diagnostic", path)
				}
				if dir == "valid" && errs > 0 {
					t.Fatalf("%s: a valid plan cannot expect errors", path)
				}
				used := make([]bool, len(diags))
				for _, e := range exps {
					found := false
					for i, d := range diags {
						if !used[i] && matches(e, d) {
							used[i], found = true, true
							break
						}
					}
					if !found {
						t.Errorf("expected %s, not reported", e)
					}
				}
				for i, d := range diags {
					if !used[i] {
						t.Errorf("unexpected %s: %s", sevName(d.Severity), d.Summary)
					}
				}
				if t.Failed() {
					t.Logf("diagnostics:\n%s", format(files, diags))
				}
				for _, d := range diags {
					if d.Detail == "" || d.Subject == nil {
						t.Errorf("%q has no detail or no subject", d.Summary)
					}
				}
			})
		}
	}
}

// TestRuleCoverage: every rule has a plan that triggers it and a near miss that does not.
func TestRuleCoverage(t *testing.T) {
	for _, r := range validate.Rules {
		bad := filepath.Join("testdata", "invalid", r.ID+".hcl")
		good := filepath.Join("testdata", "valid", r.ID+".hcl")
		if _, err := os.Stat(good); err != nil {
			t.Errorf("rule %s: no near miss %s", r.ID, good)
		}
		if _, err := os.Stat(bad); err != nil {
			t.Errorf("rule %s: no test plan %s", r.ID, bad)
			continue
		}
		diags, _ := run(bad)
		found := false
		for _, d := range diags {
			if validate.RuleOf(d) == r.ID {
				found = true
				if d.Severity != r.Severity || d.Summary != r.Summary {
					t.Errorf("rule %s: diagnostic %v %q differs from the rule table", r.ID, d.Severity, d.Summary)
				}
			}
		}
		if !found {
			t.Errorf("rule %s: %s does not trigger it", r.ID, bad)
		}
		if diags, _ := run(good); len(diags) > 0 {
			for _, d := range diags {
				if validate.RuleOf(d) == r.ID {
					t.Errorf("rule %s: near miss %s triggers it", r.ID, good)
				}
			}
		}
	}
}

// TestEvidence: every evidence entry belongs to a rule and says both what and how we know.
func TestEvidence(t *testing.T) {
	ids := map[string]bool{}
	for _, r := range validate.Rules {
		ids[r.ID] = true
	}
	for id, e := range validate.Evidence {
		if !ids[id] {
			t.Errorf("evidence for unknown rule %s", id)
		}
		if e.Kernel == "" || e.Proof == "" {
			t.Errorf("evidence for %s lacks the kernel fact or the proof", id)
		}
	}
}

func TestNilPlan(t *testing.T) {
	if d := validate.Plan(nil); d != nil {
		t.Fatalf("nil plan: %v", d)
	}
}

// TestForEachMerged: a rule firing for every instance of a for_each block is reported once,
// with the count of the other instances.
func TestForEachMerged(t *testing.T) {
	diags, _ := run(filepath.Join("testdata", "invalid", "mtu-above-lower.hcl"))
	n := 0
	for _, d := range diags {
		if d.Subject != nil && d.Subject.Start.Line == 16 {
			n++
			if !strings.Contains(d.Detail, "(9 more instances of this block have the same problem.)") {
				t.Errorf("detail does not count the other instances: %s", d.Detail)
			}
		}
	}
	if n != 1 {
		t.Fatalf("want 1 diagnostic for the 10 VLAN instances, got %d", n)
	}
}
