package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// A crash inside a command (the audit's decoder panic) must not exit 2, which
// `plan --detailed-exitcode` means "changes pending": it exits exitInternal with the stack.
func TestCrashExitCode(t *testing.T) {
	root := newRoot()
	var m map[string]int
	root.AddCommand(&cobra.Command{Use: "crash", RunE: func(*cobra.Command, []string) error {
		m["x"]++ // nil map: a runtime panic, as a decoder bug would raise
		return nil
	}})
	var out, errb bytes.Buffer
	code := runRoot(root, []string{"crash"}, strings.NewReader(""), &out, &errb)
	if code != exitInternal || code == exitChanges || code == exitError {
		t.Fatalf("exit %d, want %d", code, exitInternal)
	}
	if !strings.Contains(errb.String(), "Internal error") || !strings.Contains(errb.String(), "assignment to entry in nil map") {
		t.Errorf("stderr lacks the panic and its stack:\n%s", errb.String())
	}
}
