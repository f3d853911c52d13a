package install

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const testPlan = `nic "uplink0" { mac = "52:54:00:00:09:01" }
bridge "br0" { ports = [nic.uplink0] }
`

// fakeExec is an executable standing in for hostnet: systemd-analyze verify checks that
// ExecStart names one.
func fakeExec(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "hostnet")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func writePlan(t *testing.T) (dir, vars string) {
	dir = t.TempDir()
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(testPlan), 0o644)
	vars = filepath.Join(t.TempDir(), "hv 1.vars.hcl")
	os.WriteFile(vars, []byte("x = 1\n"), 0o644)
	return dir, vars
}

// tree lists the files under root as "path" or "path -> target".
func tree(root string) []string {
	var out []string
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if t, err := os.Readlink(p); err == nil {
			rel += " -> " + t
		}
		out = append(out, "/"+rel)
		return nil
	})
	return out
}

func TestInstallUninstall(t *testing.T) {
	root := t.TempDir()
	l := Layout{Root: root}
	dir, vars := writePlan(t)
	exe := fakeExec(t)
	m, err := Install(Options{Layout: l, Plan: dir, VarFiles: []string{vars}, Exec: exe, Watch: true,
		DropIns: []string{"/etc/NetworkManager/conf.d/99-hostnet.conf"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"/etc/hostnet/manifest.json",
		"/etc/hostnet/plan/01-hv_1.vars.hcl",
		"/etc/hostnet/plan/main.hcl",
		"/etc/systemd/system/hostnet-boot.service",
		"/etc/systemd/system/hostnet-watch.service",
		"/etc/systemd/system/multi-user.target.wants/hostnet-boot.service -> /etc/systemd/system/hostnet-boot.service",
		"/etc/systemd/system/multi-user.target.wants/hostnet-watch.service -> /etc/systemd/system/hostnet-watch.service",
		"/etc/systemd/system/network-online.target.wants/hostnet-boot.service -> /etc/systemd/system/hostnet-boot.service",
	}
	if got := tree(root); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("installed files:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	boot, _ := os.ReadFile(filepath.Join(root, UnitDir, BootUnit))
	for _, w := range []string{
		"ExecStart=" + exe + " boot --var-file /etc/hostnet/plan/01-hv_1.vars.hcl /etc/hostnet/plan\n",
		"After=systemd-udev-settle.service ", "Before=network.target network-online.target libvirtd.service virtnetworkd.service systemd-networkd.service NetworkManager.service ",
		"Type=oneshot\n", "WantedBy=multi-user.target network-online.target\n",
	} {
		if !strings.Contains(string(boot), w) {
			t.Errorf("boot unit lacks %q:\n%s", w, boot)
		}
	}
	watch, _ := os.ReadFile(filepath.Join(root, UnitDir, WatchUnit))
	for _, w := range []string{"ExecStart=" + exe + " watch --var-file /etc/hostnet/plan/01-hv_1.vars.hcl /etc/hostnet/plan\n", "Restart=on-failure\n"} {
		if !strings.Contains(string(watch), w) {
			t.Errorf("watch unit lacks %q:\n%s", w, watch)
		}
	}
	verifyUnits(t, filepath.Join(root, UnitDir, BootUnit), filepath.Join(root, UnitDir, WatchUnit))
	if got, err := Installed(l); err != nil || got.DropIns[0] != m.DropIns[0] || len(got.Units) != 2 {
		t.Fatalf("manifest read back: %+v, %v", got, err)
	}

	// A re-install without watch removes the watch unit.
	if _, err := Install(Options{Layout: l, Plan: filepath.Join(dir, "main.hcl"), Exec: exe}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, UnitDir, WatchUnit)); !os.IsNotExist(err) {
		t.Errorf("watch unit left after a re-install without watch: %v", err)
	}
	if _, err := Uninstall(l); err != nil {
		t.Fatal(err)
	}
	if got := tree(root); len(got) != 0 {
		t.Errorf("left after uninstall: %v", got)
	}
	if _, err := Uninstall(l); err == nil || !strings.Contains(err.Error(), "not installed") {
		t.Errorf("second uninstall: %v", err)
	}
}

// verifyUnits runs systemd-analyze verify (offline: it loads the units, starts nothing)
// and fails on any complaint.
func verifyUnits(t *testing.T, units ...string) {
	t.Helper()
	cmd := exec.Command("systemd-analyze", append([]string{"verify", "--man=no"}, units...)...)
	out, err := cmd.CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

func TestVerifyCatchesABadUnit(t *testing.T) {
	// The check above can fail: a unit naming a missing binary does not verify.
	dir := t.TempDir()
	text, err := BootUnitText(UnitOptions{Exec: "/nonexistent/hostnet"})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, BootUnit)
	os.WriteFile(p, []byte(text), 0o644)
	out, err := exec.Command("systemd-analyze", "verify", "--man=no", p).CombinedOutput()
	if err == nil {
		t.Errorf("systemd-analyze verify passed a unit with a missing binary:\n%s", out)
	}
}

func TestUnitRefusesUnsafePaths(t *testing.T) {
	for _, exe := range []string{"/opt/my hostnet", "/opt/x;rm", "/opt/$HOME/x", "relative"} {
		if _, err := BootUnitText(UnitOptions{Exec: exe}); err == nil && exe != "relative" {
			t.Errorf("BootUnitText accepted %q", exe)
		}
	}
	if _, err := Install(Options{Layout: Layout{Root: t.TempDir()}, Plan: ".", Exec: "relative"}); err == nil {
		t.Error("Install accepted a relative exec path")
	}
}

func TestStageCommit(t *testing.T) {
	root, state := t.TempDir(), t.TempDir()
	l := Layout{Root: root}
	dir, _ := writePlan(t)
	exe := fakeExec(t)
	if _, err := Install(Options{Layout: l, Plan: dir, Exec: exe}); err != nil {
		t.Fatal(err)
	}
	next := t.TempDir()
	os.WriteFile(filepath.Join(next, "next.hcl"), []byte(testPlan+"# v2\n"), 0o644)
	vars := filepath.Join(t.TempDir(), "site.vars.hcl")
	os.WriteFile(vars, []byte("y = 2\n"), 0o644)
	if err := Stage(state, "id1", next, []string{vars}); err != nil {
		t.Fatal(err)
	}
	// Not yet confirmed: the boot plan is the old one.
	if _, err := os.Stat(filepath.Join(root, PlanDir, "main.hcl")); err != nil {
		t.Fatal("staging changed the boot plan")
	}
	if ok, err := CommitStaged(l, state, "other"); ok || err != nil {
		t.Fatalf("commit for another confirmation: %v %v", ok, err)
	}
	if err := Stage(state, "id2", next, []string{vars}); err != nil {
		t.Fatal(err)
	}
	if ok, err := CommitStaged(l, state, "id2"); !ok || err != nil {
		t.Fatalf("commit: %v %v", ok, err)
	}
	got := tree(filepath.Join(root, PlanDir))
	if strings.Join(got, " ") != "/01-01-site.vars.hcl /next.hcl" {
		t.Errorf("boot plan after commit: %v", got)
	}
	boot, _ := os.ReadFile(filepath.Join(root, UnitDir, BootUnit))
	if !strings.Contains(string(boot), "--var-file /etc/hostnet/plan/01-01-site.vars.hcl /etc/hostnet/plan") {
		t.Errorf("boot unit not rewritten for the new var file:\n%s", boot)
	}
	if _, err := os.Stat(filepath.Join(state, StagedDir)); !os.IsNotExist(err) {
		t.Error("stage left after commit")
	}
}

func TestBootRecordChecks(t *testing.T) {
	dir := t.TempDir()
	rec := &BootRecord{Time: time.Now(), Plan: PlanDir, Result: BootRestored, Error: "create bond bond0: operation not supported", Restore: "3 kernel operations in 1ms"}
	if err := rec.Save(dir); err != nil {
		t.Fatal(err)
	}
	got, err := LoadBootRecord(dir)
	if err != nil || got.Result != BootRestored || !got.Failed() {
		t.Fatalf("read back: %+v %v", got, err)
	}
	if s := BootStatus(dir); !strings.Contains(s, "FAILED and the state from before it was restored") || !strings.Contains(s, "operation not supported") {
		t.Errorf("status line: %s", s)
	}
	path := filepath.Join(dir, BootRecordFile)
	os.Chmod(path, 0o666)
	if _, err := LoadBootRecord(dir); err == nil || !strings.Contains(err.Error(), "writable by group or others") {
		t.Errorf("world-writable record: %v", err)
	}
	// A symbolic link (say, to a file an attacker controls) is not followed.
	other := filepath.Join(t.TempDir(), "x.json")
	os.Rename(path, other)
	os.Chmod(other, 0o600)
	os.Symlink(other, path)
	if _, err := LoadBootRecord(dir); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("symlinked record: %v", err)
	}
	os.Remove(path)
	if BootStatus(dir) != "" {
		t.Error("status line without a record")
	}
}
