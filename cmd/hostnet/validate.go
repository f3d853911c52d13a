package main

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/hostnet/hostnet/hostnet/diag"
	"github.com/hostnet/hostnet/hostnet/jsonout"
	"github.com/hostnet/hostnet/hostnet/plan"
	"github.com/hostnet/hostnet/hostnet/validate"
)

// planFlags are the flags every command that reads a plan takes.
type planFlags struct {
	vars     []string
	varFiles []string
}

func (f *planFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&f.vars, "var", nil, "set a variable: NAME=VALUE (repeatable)")
	cmd.Flags().StringArrayVar(&f.varFiles, "var-file", nil, "read variables from an HCL file of NAME = value lines (repeatable)")
}

func (f *planFlags) options() plan.LoadOptions {
	return plan.LoadOptions{Vars: f.vars, VarFiles: f.varFiles}
}

// loadAndValidate decodes and statically checks one plan. The plan is nil when the
// diagnostics have errors.
func loadAndValidate(path string, opts plan.LoadOptions) (*plan.Plan, map[string]*hcl.File, hcl.Diagnostics) {
	return validated(plan.LoadWithFiles(path, opts))
}

// validated runs validation on a decoded (possibly partial) plan and returns the plan only
// when neither found an error.
func validated(p *plan.Plan, files map[string]*hcl.File, diags hcl.Diagnostics) (*plan.Plan, map[string]*hcl.File, hcl.Diagnostics) {
	if p != nil {
		diags = append(diags, validate.Plan(p)...)
	}
	diag.Sort(diags)
	if diags.HasErrors() {
		return nil, files, diags
	}
	return p, files, diags
}

func newValidateCmd() *cobra.Command {
	var flags planFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "validate [PATH...]",
		Short: "Check plans statically: schema, references, bond options, bridge-over-bond rules",
		Long: `Validate reads each PATH as one plan (a .hcl file, or a directory whose *.hcl files form
one plan; *.vars.hcl files are variable files and load only with --var-file) and checks it
without touching the host: syntax, references, bonding options against the mode, link
monitoring, bridge over bond against the declared switch, names, VLAN ids, MTUs, addresses.

Errors and warnings name file:line:column with the source line. Exit status: 0 when every
plan is free of errors (warnings are printed), 1 otherwise.`,
		Example: `  hostnet validate plan.hcl
  hostnet validate /etc/hostnet/
  hostnet validate examples/*/
  hostnet validate --var-file hv1.vars.hcl --var mtu=9000 site/
  hostnet validate --json plan.hcl | jq '.plans[0].diagnostics[] | {rule, summary}'`,
		RunE: jsonRunE("validate", &asJSON, func(cmd *cobra.Command, args []string, doc *jsonout.Document) error {
			if len(args) == 0 {
				args = []string{"."}
			}
			out := cmd.OutOrStdout()
			failed := 0
			for _, path := range args {
				_, files, diags := loadAndValidate(path, flags.options())
				nErr, nWarn := diag.Count(diags)
				if nErr > 0 {
					failed++
				}
				if doc != nil {
					doc.Plans = append(doc.Plans, jsonout.PlanValidation{Path: path, Valid: nErr == 0, ErrorCount: nErr, WarningCount: nWarn,
						Diagnostics: jsonout.Diagnostics(files, diags)})
					continue
				}
				if err := diag.WriteText(out, files, diags, 100); err != nil {
					return err
				}
				if nErr == 0 {
					fmt.Fprintf(out, "%s: the plan is valid (%s).\n", path, diag.Summary(diags))
				} else {
					fmt.Fprintf(out, "%s: the plan is invalid: %s.\n", path, diag.Summary(diags))
				}
			}
			if failed > 0 {
				if doc != nil {
					return withKind(jsonout.ErrInvalidPlan, fmt.Errorf("%d of %d plans are invalid", failed, len(args)))
				}
				return withCode(exitError, nil)
			}
			return nil
		}),
	}
	flags.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the diagnostics as one JSON document on stdout (docs/json.md)")
	return cmd
}
