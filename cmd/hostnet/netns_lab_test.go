//go:build lab

package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
)

// --netns runs every kernel operation in the named namespace: the plan is applied there,
// the root namespace (the lab's own hypervisor) is untouched, and a namespace that does
// not exist is a clear error that changes nothing.
func TestNetnsFlag(t *testing.T) {
	tp := labNICs(t) // the switch only
	hv, err := tp.AddHypervisor("nsa")
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range []string{"52:54:00:00:0e:01", "52:54:00:00:0e:02"} {
		mac, _ := net.ParseMAC(m)
		if err := tp.AddNICTo(hv, "eno"+string(rune('1'+i)), mac); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(t.TempDir(), "plan.hcl")
	plan := strings.ReplaceAll(cliPlan, "52:54:00:00:0c:0", "52:54:00:00:0e:0")
	if err := os.WriteFile(file, []byte(plan), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	steps := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--netns", "hn-nsa", "plan", "--detailed-exitcode", file}, 2, "+ create bond.bond0"},
		{[]string{"--netns", "hn-nsa", "apply", "--auto-approve", file}, 0, "Apply complete"},
		{[]string{"--netns", "hn-nsa", "plan", "--detailed-exitcode", file}, 0, "No changes"},
		{[]string{"--netns", "hn-nsa", "plan", "--destroy", "--detailed-exitcode", file}, 2, "delete"},
		{[]string{"plan", file}, 1, "52:54:00:00:0e:01"}, // the root namespace has no such NIC
		{[]string{"--netns", "hn-nosuch", "apply", "--auto-approve", file}, 1, "--netns hn-nosuch"},
		{[]string{"--netns", "../x", "plan", file}, 1, "want a name under /run/netns"},
	}
	for _, st := range steps {
		code, out := hostnet(t, dir, nil, st.args...)
		if code != st.code || !strings.Contains(out, st.want) {
			t.Fatalf("hostnet %s: exit %d (want %d), output lacks %q:\n%s", strings.Join(st.args, " "), code, st.code, st.want, out)
		}
	}
	h, err := hv.Handle()
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	for _, name := range []string{"bond0", "br0", "bond0.10"} {
		if _, err := h.LinkByName(name); err != nil {
			t.Errorf("%s in hn-nsa: %v", name, err)
		}
		if _, err := netlink.LinkByName(name); err == nil {
			t.Errorf("%s appeared in the root namespace", name)
		}
	}
	if code, out := hostnet(t, dir, nil, "--netns", "hn-nsa", "destroy", "--auto-approve", file); code != 0 {
		t.Fatalf("destroy: exit %d\n%s", code, out)
	}
	if _, err := h.LinkByName("bond0"); err == nil {
		t.Error("bond0 is left in hn-nsa after destroy")
	}
}
