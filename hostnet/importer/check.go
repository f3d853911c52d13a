package importer

import (
	"github.com/hashicorp/hcl/v2"

	"github.com/hostnet/hostnet/hostnet/plan"
	"github.com/hostnet/hostnet/hostnet/validate"
)

// Check decodes and validates an imported plan as `hostnet validate` would. The plan is
// nil when it has errors.
func Check(name string, src []byte, vars []string) (*plan.Plan, map[string]*hcl.File, hcl.Diagnostics) {
	p, files, diags := plan.DecodeWithFiles([]plan.Input{{Name: name, Bytes: src}}, nil, vars)
	if p != nil {
		diags = append(diags, validate.Plan(p)...)
	}
	if diags.HasErrors() {
		return nil, files, diags
	}
	return p, files, diags
}
