package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hostnet/hostnet/hostnet/install"
)

// A boot apply whose plan does not load changes nothing, fails, and leaves a record that
// status shows.
func TestBootInvalidPlanIsRecorded(t *testing.T) {
	state := t.TempDir()
	bad := filepath.Join(t.TempDir(), "bad.hcl")
	os.WriteFile(bad, []byte("bond \"bond0\" {\n  mode = \"no-such-mode\"\n}\n"), 0o644)
	code, _, stderr := runCLI(t, "boot", "--state-dir", state, bad)
	if code != exitError {
		t.Fatalf("boot of an invalid plan: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "boot apply FAILED before any change: the plan does not load") {
		t.Errorf("no failure line:\n%s", stderr)
	}
	r, err := install.LoadBootRecord(state)
	if err != nil || r.Result != install.BootNotApplied || !strings.Contains(r.Describe(), "FAILED before any change") {
		t.Fatalf("record: %+v %v", r, err)
	}
}

// install and uninstall into a directory tree: the units, the plan, the manifest, and
// nothing left afterwards; --var is refused (it could not be kept for the boot).
func TestInstallIntoRoot(t *testing.T) {
	root := t.TempDir()
	plan := filepath.Join(t.TempDir(), "p.hcl")
	os.WriteFile(plan, []byte("nic \"uplink0\" { mac = \"52:54:00:00:0e:01\" }\n"), 0o644)
	if code, _, stderr := runCLI(t, "install", "--root", root, "--var", "x=1", plan); code != exitError || !strings.Contains(stderr, "--var-file") {
		t.Errorf("install --var: exit %d\n%s", code, stderr)
	}
	code, out, stderr := runCLI(t, "install", "--root", root, "--exec", "/usr/sbin/hostnet", plan)
	if code != 0 {
		t.Fatalf("install: exit %d\n%s%s", code, out, stderr)
	}
	for _, p := range []string{install.PlanDir + "/p.hcl", install.ManifestPath, install.UnitDir + "/" + install.BootUnit,
		install.UnitDir + "/multi-user.target.wants/" + install.BootUnit} {
		if _, err := os.Lstat(filepath.Join(root, p)); err != nil {
			t.Errorf("after install: %v", err)
		}
	}
	// No bond under a bridge: no watch service.
	if _, err := os.Stat(filepath.Join(root, install.UnitDir, install.WatchUnit)); !os.IsNotExist(err) {
		t.Errorf("watch unit installed for a plan without a bridged bond: %v", err)
	}
	if code, out, stderr := runCLI(t, "uninstall", "--root", root); code != 0 || !strings.Contains(out, "Uninstalled") {
		t.Fatalf("uninstall: exit %d\n%s%s", code, out, stderr)
	}
	if ents, _ := os.ReadDir(filepath.Join(root, "etc")); len(ents) != 1 { // etc/systemd/system/... dirs stay
		t.Errorf("left in etc: %v", ents)
	}
	if _, err := os.Stat(filepath.Join(root, install.ConfDir)); !os.IsNotExist(err) {
		t.Errorf("%s left after uninstall", install.ConfDir)
	}
}
