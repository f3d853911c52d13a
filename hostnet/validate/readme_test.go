package validate_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/hostnet/hostnet/hostnet/validate"
)

// TestREADMERuleCount: the README states the number of static rules.
func TestREADMERuleCount(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%d rules (`hostnet/validate`", len(validate.Rules))
	if !strings.Contains(string(b), want) {
		t.Fatalf("README.md does not say %q", want)
	}
}
