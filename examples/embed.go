// Package examples holds the example host plans (one directory each) and embeds the one
// that `hostnet lab demo` runs when no plan is given.
package examples

import (
	_ "embed"

	"github.com/hostnet/hostnet/hostnet/plan"
)

//go:embed kvm-active-backup/main.hcl
var kvmActiveBackup []byte

// Demo is the default plan of the lab demo: examples/kvm-active-backup.
func Demo() []plan.Input {
	return []plan.Input{{Name: "examples/kvm-active-backup/main.hcl", Bytes: kvmActiveBackup}}
}
