package plan

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
)

// LoadOptions carries what the command line adds to a plan.
type LoadOptions struct {
	// Vars are -var NAME=VALUE assignments, VALUE as typed on the command line.
	Vars []string
	// VarFiles are -var-file paths: HCL files of NAME = value lines.
	VarFiles []string
}

// VarFileSuffix marks variable files, which a plan directory does not load as plan files.
const VarFileSuffix = ".vars.hcl"

// Load reads a plan from path: one .hcl file, or every .hcl file of a directory (except
// *.vars.hcl) as one plan, as Terraform does with a module directory. The returned plan
// is nil when the diagnostics have errors; warnings may come with a plan.
func Load(path string, opts LoadOptions) (*Plan, hcl.Diagnostics) {
	p, _, diags := LoadWithFiles(path, opts)
	if diags.HasErrors() {
		return nil, diags
	}
	return p, diags
}

// LoadWithFiles is Load that also returns the parsed files, so that diagnostics can be
// printed with their source lines. With errors it still returns a partial plan: the
// objects that decoded cleanly (whose references all resolve), so that validation can
// report its own findings in the same run. A partial plan must never be applied.
func LoadWithFiles(path string, opts LoadOptions) (*Plan, map[string]*hcl.File, hcl.Diagnostics) {
	files, err := planFiles(path)
	if err != nil {
		return nil, nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read plan", Detail: err.Error()}}
	}
	srcs := make([]Input, 0, len(files))
	for _, f := range files {
		b, err := readPlanFile(f)
		if err != nil {
			return nil, nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read plan file", Detail: err.Error()}}
		}
		srcs = append(srcs, Input{Name: f, Bytes: b})
	}
	var varSrcs []Input
	for _, f := range opts.VarFiles {
		b, err := readPlanFile(f)
		if err != nil {
			return nil, nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read variables file", Detail: err.Error()}}
		}
		varSrcs = append(varSrcs, Input{Name: f, Bytes: b})
	}
	return DecodeWithFiles(srcs, varSrcs, opts.Vars)
}

// Input is a named plan or variables file held in memory.
type Input struct {
	Name  string
	Bytes []byte
}

func planFiles(path string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".hcl") || strings.HasSuffix(n, VarFileSuffix) || strings.HasPrefix(n, ".") {
			continue
		}
		files = append(files, filepath.Join(path, n))
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no plan files (*.hcl) in this directory", path)
	}
	sort.Strings(files)
	return files, nil
}

// Decode parses and evaluates plan sources with variable files and -var assignments.
// It never panics on any input; errors come back as diagnostics with source ranges.
func Decode(srcs, varFiles []Input, vars []string) (*Plan, hcl.Diagnostics) {
	p, _, diags := DecodeWithFiles(srcs, varFiles, vars)
	if diags.HasErrors() {
		return nil, diags
	}
	return p, diags
}

// DecodeWithFiles is Decode that also returns the parsed files and, with errors, the
// partial plan (see LoadWithFiles).
//
// Every input is bounded (see the Max constants): sources are checked for size, nesting and
// operator chains before parsing, and expressions are rewritten to charge what they make to
// one budget per decode.
func DecodeWithFiles(srcs, varFiles []Input, vars []string) (*Plan, map[string]*hcl.File, hcl.Diagnostics) {
	parser := hclparse.NewParser()
	d := &decoder{}
	d.functions = boundedFunctions(&d.budget)
	var diags hcl.Diagnostics
	parse := func(s Input) hcl.Body {
		if dg := checkSource(s.Name, s.Bytes); dg != nil {
			diags = append(diags, dg)
			return nil
		}
		if dg := checkOperators(s.Name, s.Bytes); dg != nil {
			diags = append(diags, dg)
			return nil
		}
		f, pd := parser.ParseHCL(s.Bytes, s.Name)
		diags = append(diags, pd...)
		if f == nil || pd.HasErrors() {
			return nil
		}
		diags = append(diags, bound(f.Body, &d.budget)...)
		return f.Body
	}
	var bodies []hcl.Body
	for _, s := range srcs {
		if b := parse(s); b != nil {
			bodies = append(bodies, b)
		}
	}
	var varBodies []hcl.Body
	for _, s := range varFiles {
		if b := parse(s); b != nil {
			varBodies = append(varBodies, b)
		}
	}
	if diags.HasErrors() {
		return &Plan{Files: parser.Files()}, parser.Files(), capDiagnostics(diags)
	}
	p := d.decode(bodies, varBodies, vars)
	p.Files = parser.Files()
	return p, p.Files, capDiagnostics(d.diags)
}
