package validate_test

import (
	"path/filepath"
	"regexp"
	"sort"
	"testing"

	"github.com/hostnet/hostnet/hostnet/validate"
)

// refusalRE finds a claim that the kernel refuses something in a diagnostic's detail.
var refusalRE = regexp.MustCompile(`(?i)kernel (refuses|rejects)`)

// TestKernelClaimsCovered: every rule whose diagnostic says the kernel refuses something
// has a case in TestKernelClaims (kernel_lab_test.go, -tags lab), which does it on the lab
// kernel and checks the errno.
func TestKernelClaimsCovered(t *testing.T) {
	var missing []string
	for _, r := range validate.Rules {
		diags, _ := run(filepath.Join("testdata", "invalid", r.ID+".hcl"))
		for _, d := range diags {
			if validate.RuleOf(d) == r.ID && refusalRE.MatchString(d.Detail) && !claimedInLab[r.ID] {
				missing = append(missing, r.ID)
				break
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("rules that say the kernel refuses something without a lab case: %v", missing)
	}
}
