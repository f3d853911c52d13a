package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const corpusDir = "../../hostnet/importer/testdata/"

func TestImportCommand(t *testing.T) {
	out := t.TempDir()
	bad := filepath.Join(t.TempDir(), "ifcfg-bond0")
	if err := os.WriteFile(bad, []byte("DEVICE=bond0\nBONDING_OPTS=\"mode=$(reboot)\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rhel, _ := filepath.Glob(corpusDir + "ifcfg/rhel-lacp/ifcfg-*")
	cases := []struct {
		name     string
		args     []string
		code     int
		stdout   []string
		stderr   []string
		planFile string // written by -o, then validated
	}{
		{name: "ifcfg to a directory", args: append([]string{"import", "ifcfg", "--no-live-macs", "-o", out}, rhel...), code: 0,
			stderr:   []string{"ifcfg-br0:11: warning: br0: DNS1=198.51.100.53", "wrote " + filepath.Join(out, "imported.hcl")},
			planFile: filepath.Join(out, "imported.hcl")},
		{name: "interfaces with MACs given", args: []string{"import", "interfaces", "--no-live-macs", "--mac", "eno1=52:54:00:10:00:01",
			"--mac", "eno2=52:54:00:10:00:02", corpusDir + "interfaces/proxmox/interfaces"}, code: 0,
			stdout: []string{`mac = "52:54:00:10:00:01"`, "# from " + corpusDir + "interfaces/proxmox/interfaces.d/storage:3"}},
		{name: "unknown MACs leave variables and do not validate", args: []string{"import", "interfaces", "--no-live-macs",
			corpusDir + "interfaces/proxmox/interfaces"}, code: 1,
			stdout: []string{"mac = var.mac_eno1"}, stderr: []string{`Variable "mac_eno1" has no default`}},
		{name: "modprobe with slaves", args: []string{"import", "modprobe", "--no-live-macs", "--slaves", "bond0=eth0,eth1",
			"--mac", "eth0=52:54:00:10:00:01", "--mac", "eth1=52:54:00:10:00:02", corpusDir + "modprobe/howto-rr.conf"}, code: 0,
			stdout: []string{"slaves = [nic.eth0, nic.eth1]", "miimon = 80"}},
		{name: "unparsable input", args: []string{"import", "ifcfg", "--no-live-macs", bad}, code: 1,
			stderr: []string{bad + ":2: error: BONDING_OPTS: shell expansion"}},
		{name: "unknown format", args: []string{"import", "yast", "x"}, code: 1, stderr: []string{`unknown format "yast"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, c.args...)
			if code != c.code {
				t.Errorf("exit %d, want %d\n%s%s", code, c.code, stdout, stderr)
			}
			flat := strings.Join(strings.Fields(stdout), " ")
			for _, w := range c.stdout {
				if !strings.Contains(flat, strings.Join(strings.Fields(w), " ")) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
			for _, w := range c.stderr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if c.planFile != "" {
				if code, out, errs := runCLI(t, "validate", c.planFile); code != 0 {
					t.Errorf("validate %s: exit %d\n%s%s", c.planFile, code, out, errs)
				}
			}
		})
	}
}
