package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hostnet/hostnet/hostnet/jsonout"
	"github.com/hostnet/hostnet/hostnet/jsonout/schematest"
)

// Every way a --json command can fail before it touches the host prints one document on
// stdout that matches the schema, with exit code 1 in it and in the process status, and
// the kind of error. (Documents of successful plan, apply, destroy, status and rollback
// runs are checked by the lab tests, which have a host to change.)
func TestJSONErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.hcl")
	if err := os.WriteFile(bad, []byte(threeErrors), 0o644); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.hcl")
	if err := os.WriteFile(other, []byte("host { name = \"not-this-host-\" }\nnic \"a\" { mac = \"52:54:00:00:0e:01\" }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	for _, c := range []struct {
		name    string
		args    []string
		kind    string
		command string
		diags   bool // the document carries the plan's diagnostics
	}{
		{"plan invalid", []string{"plan", "--json", bad}, "invalid_plan", "plan", true},
		{"plan missing", []string{"plan", "--json", filepath.Join(dir, "none.hcl")}, "invalid_plan", "plan", true},
		{"plan host guard", []string{"plan", "--json", other}, "host_guard", "plan", false},
		{"plan unknown flag", []string{"plan", "--json", "--bogus", bad}, "usage", "plan", false},
		{"plan two paths", []string{"plan", "--json", bad, other}, "usage", "plan", false},
		{"apply without approval", []string{"apply", "--json", bad}, "usage", "apply", false},
		{"apply invalid", []string{"apply", "--json", "--auto-approve", "--state-dir", state, bad}, "invalid_plan", "apply", true},
		{"apply bad var", []string{"apply", "--json", "--auto-approve", "--var", "nope", bad}, "invalid_plan", "apply", true},
		{"destroy invalid", []string{"destroy", "--json", "--auto-approve", "--state-dir", state, bad}, "invalid_plan", "destroy", true},
		{"status invalid plan", []string{"status", "--json", "--plan", bad}, "invalid_plan", "status", true},
		{"rollback nothing", []string{"rollback", "--json", "--state-dir", state}, "apply_failed", "rollback", false},
		{"validate invalid", []string{"validate", "--json", bad}, "invalid_plan", "validate", false},
		{"validate bad flag", []string{"validate", "--json", "--nope"}, "usage", "validate", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, _ := runCLI(t, c.args...)
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			doc := schematest.Check(t, out)
			if doc.Command != c.command || doc.ExitCode != 1 || doc.Error == nil || doc.Error.Kind != c.kind {
				t.Fatalf("command %q exit %d error %+v, want %s exit 1 kind %s", doc.Command, doc.ExitCode, doc.Error, c.command, c.kind)
			}
			if c.diags {
				if len(doc.Diagnostics) == 0 {
					t.Fatalf("no diagnostics")
				}
				for _, d := range doc.Diagnostics {
					if d.Rule == "" {
						t.Errorf("diagnostic without a rule: %+v", d)
					}
				}
			}
		})
	}
}

// validate --json on valid plans: exit 0, no error, warnings with their rule ids.
func TestJSONValidateExamples(t *testing.T) {
	mains, _ := filepath.Glob("../../examples/*/main.hcl")
	args := []string{"validate", "--json"}
	for _, m := range mains {
		args = append(args, filepath.Dir(m))
	}
	code, out, _ := runCLI(t, args...)
	doc := schematest.Check(t, out)
	if code != 0 || doc.ExitCode != 0 || doc.Error != nil || len(doc.Plans) != len(args)-2 {
		t.Fatalf("exit %d, document %+v", code, doc)
	}
	for _, p := range doc.Plans {
		if !p.Valid {
			t.Errorf("%s invalid", p.Path)
		}
		for _, d := range p.Diagnostics {
			if strings.HasPrefix(d.Rule, "decode") {
				t.Errorf("%s: a warning without a validation rule: %+v", p.Path, d)
			}
		}
	}
}

// hostnet docs writes a man page per command (with its flags), the completions and the
// schema the binary writes documents for.
func TestDocs(t *testing.T) {
	dir := t.TempDir()
	if code, out, errs := runCLI(t, "docs", "--dir", dir); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	page, err := os.ReadFile(filepath.Join(dir, "man", "man1", "hostnet-apply.1"))
	if err != nil || !strings.Contains(string(page), "detailed-exitcode") || !strings.Contains(string(page), ".TH \"HOSTNET\"") {
		t.Errorf("hostnet-apply.1: %v\n%.300s", err, page)
	}
	for _, f := range []string{"completion/hostnet.bash", "completion/_hostnet", "completion/hostnet.fish"} {
		if b, err := os.ReadFile(filepath.Join(dir, f)); err != nil || !strings.Contains(string(b), "hostnet") {
			t.Errorf("%s: %v", f, err)
		}
	}
	schema, err := os.ReadFile(filepath.Join(dir, "hostnet-output.schema.json"))
	if err != nil || string(schema) != string(jsonout.Schema) {
		t.Errorf("schema copy: %v", err)
	}
}
