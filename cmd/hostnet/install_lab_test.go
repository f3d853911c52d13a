//go:build lab

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hostnet/hostnet/hostnet/install"
)

// distroFilesFor is the distribution's network configuration the install test starts
// from, one file per manager, each claiming an interface of basePlan by its kernel name
// (nic1: the kernel's name of the plan's uplink1), written into the lab's throwaway root.
func distroFilesFor(nic1 string) map[string]string {
	return map[string]string{
		"/etc/systemd/network/20-wired.network":                   "[Match]\nName=en*\n\n[Network]\nDHCP=yes\n",
		"/etc/NetworkManager/system-connections/br0.nmconnection": "[connection]\nid=br0\ntype=bridge\ninterface-name=br0\n\n[ipv4]\nmethod=auto\n",
		"/etc/network/interfaces":                                 "auto lo\niface lo inet loopback\n\nauto " + nic1 + " eth9\niface " + nic1 + " inet manual\n",
	}
}

func installedPlanFiles(t *testing.T) []string {
	t.Helper()
	ents, err := os.ReadDir(install.PlanDir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// plan reports each network manager's claim; install hands them to hostnet with drop-ins;
// apply --confirm-within replaces the boot plan only on confirm (an unconfirmed one never);
// a plain apply replaces it at once; uninstall removes everything install wrote.
func TestCLIInstallCoexistConfirm(t *testing.T) {
	l := newSafeLab(t)
	nic0, nic1 := l.tp.NIC("uplink0"), l.tp.NIC("uplink1")
	distroFiles := distroFilesFor(nic1)
	for p, text := range distroFiles {
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		hostnet(t, l.dir, nil, "uninstall")
		for p := range distroFiles {
			os.Remove(p)
		}
	})

	code, out := hostnet(t, l.dir, nil, "plan", l.files["base"])
	for _, want := range []string{
		"systemd-networkd manages " + nic0 + " (/etc/systemd/network/20-wired.network:2: [Match] Name=en*",
		"systemd-networkd manages " + nic1 + " (/etc/systemd/network/20-wired.network:2",
		"NetworkManager manages br0 (/etc/NetworkManager/system-connections/br0.nmconnection:4: profile \"br0\" (bridge) has interface-name=br0)",
		"ifupdown manages " + nic1 + " (/etc/network/interfaces:4: \"auto " + nic1 + " eth9\"",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plan does not report %q: exit %d\n%s", want, code, out)
		}
	}

	code, out = hostnet(t, l.dir, nil, "install", l.files["base"])
	if code != 0 {
		t.Fatalf("install: exit %d\n%s", code, out)
	}
	t.Log(out)
	nics, _ := os.ReadFile("/etc/systemd/network/00-hostnet-nics.network")
	nm, _ := os.ReadFile("/etc/NetworkManager/conf.d/99-hostnet.conf")
	ifaces, _ := os.ReadFile("/etc/network/interfaces")
	for what, c := range map[string]bool{
		"networkd drop-in by MAC":   strings.Contains(string(nics), "MACAddress="+safeMAC0+" "+safeMAC1+"\n") && strings.Contains(string(nics), "Unmanaged=yes"),
		"NetworkManager drop-in":    strings.Contains(string(nm), "unmanaged-devices+=mac:"+safeMAC0+";mac:"+safeMAC1+";interface-name:=bond0;"),
		"no auto line for uplink1":  strings.Contains(string(ifaces), "#hostnet-disabled# auto "+nic1+" eth9\n") && strings.Contains(string(ifaces), "\nauto eth9\n"),
		"plan in /etc/hostnet/plan": strings.Join(installedPlanFiles(t), " ") == "base.hcl",
	} {
		if !c {
			t.Errorf("after install: %s missing\n%s\n%s\n%s", what, nics, nm, ifaces)
		}
	}
	if _, out := hostnet(t, l.dir, nil, "plan", l.files["base"]); strings.Contains(out, "Other network managers") {
		t.Errorf("conflicts left after install:\n%s", out)
	}

	// Confirmed: the new plan becomes the boot plan only at confirm.
	const timer = 8 * time.Second
	_, _, aout := l.startDeadmanApply(t, "changed", timer.String())
	if got := strings.Join(installedPlanFiles(t), " "); got != "base.hcl" {
		t.Errorf("boot plan before confirm: %s\n%s", got, aout)
	}
	code, out = hostnet(t, l.dir, nil, "confirm")
	if code != 0 || !strings.Contains(out, "The confirmed plan is kept in /etc/hostnet/plan") {
		t.Fatalf("confirm: exit %d\n%s", code, out)
	}
	if got := strings.Join(installedPlanFiles(t), " "); got != "changed.hcl" {
		t.Errorf("boot plan after confirm: %s", got)
	}

	// Unconfirmed: the watchdog restores, the boot plan stays.
	l.startDeadmanApply(t, "base", timer.String())
	l.waitGone(t, timer+10*time.Second)
	if got := strings.Join(installedPlanFiles(t), " "); got != "changed.hcl" {
		t.Errorf("boot plan after an unconfirmed apply: %s", got)
	}

	// A plain apply keeps its plan at once.
	if code, out := hostnet(t, l.dir, nil, "apply", "--auto-approve", l.files["base"]); code != 0 || !strings.Contains(out, "The plan is kept in /etc/hostnet/plan") {
		t.Fatalf("apply: exit %d\n%s", code, out)
	}
	if got := strings.Join(installedPlanFiles(t), " "); got != "base.hcl" {
		t.Errorf("boot plan after a plain apply: %s", got)
	}

	code, out = hostnet(t, l.dir, nil, "uninstall")
	if code != 0 {
		t.Fatalf("uninstall: exit %d\n%s", code, out)
	}
	for _, p := range []string{install.ConfDir, "/etc/systemd/network/00-hostnet-nics.network", "/etc/systemd/network/00-hostnet-links.network",
		"/etc/NetworkManager/conf.d/99-hostnet.conf", "/etc/systemd/system/" + install.BootUnit, "/etc/systemd/system/multi-user.target.wants/" + install.BootUnit} {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("%s left after uninstall (%v)", p, err)
		}
	}
	if b, _ := os.ReadFile("/etc/network/interfaces"); string(b) != distroFiles["/etc/network/interfaces"] {
		t.Errorf("interfaces not restored:\n%s", b)
	}
}
