package safe

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An exec probe given relative to the operator's directory (or by name through $PATH) is
// resolved at apply time, so that the watchdog, which runs from / with another
// environment, runs the same program: the audit's `exec:./check` passed in the user's
// directory and failed in the watchdog, undoing a good apply.
func TestResolveProbeForTheWatchdog(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "check")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	tests := []struct {
		spec, want string
		fails      bool
	}{
		{"exec:./check --quick", "exec:" + script + " --quick", false},
		{"exec:check", "", true}, // not on $PATH: refused now, not found later
		{"exec:true", "exec:/", false},
		{"exec:./missing", "", true},
		{"tcp:198.51.100.1:22", "tcp:198.51.100.1:22", false},
	}
	for _, tt := range tests {
		got, err := ResolveProbe(tt.spec)
		if tt.fails {
			if err == nil {
				t.Errorf("%s: resolved to %q, want an error", tt.spec, got)
			}
			continue
		}
		if err != nil || !strings.HasPrefix(got, tt.want) {
			t.Errorf("%s: %q, %v; want %q...", tt.spec, got, err, tt.want)
		}
	}
	// The resolved probe passes from / as well, where the watchdog runs it.
	spec, err := ResolveProbe("exec:./check")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir("/")
	p, err := ParseProbe(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Run(context.Background()); err != nil {
		t.Errorf("resolved probe %s fails from /: %v", spec, err)
	}
	if raw, _ := ParseProbe("exec:./check"); raw.Run(context.Background()) == nil {
		t.Error("an unresolved ./check passes from / too: the test shows nothing")
	}
}
