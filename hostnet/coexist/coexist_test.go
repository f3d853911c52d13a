package coexist

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// targets is a plan's view of a host: two onboard NICs under kernel names, a bond, its
// bridge, one VLAN and the VLAN's bridge.
func targets() []Iface {
	mac := func(s string) net.HardwareAddr { m, _ := net.ParseMAC(s); return m }
	return []Iface{
		{Name: "enp1s0f0", Kind: "ether", MAC: mac("52:54:00:12:00:01"), Label: "nic.uplink0"},
		{Name: "enp1s0f1", Kind: "ether", MAC: mac("52:54:00:12:00:02"), Label: "nic.uplink1"},
		{Name: "bond0", Kind: "bond", Label: "bond.bond0"},
		{Name: "br0", Kind: "bridge", Label: "bridge.br0"},
		{Name: "bond0.100", Kind: "vlan", Label: "vlan.tenant[100]"},
		{Name: "br100", Kind: "bridge", Label: "bridge.tenant[100]"},
	}
}

// copyRoot copies a testdata tree (with its symlinks) into a temp root.
func copyRoot(t *testing.T, name string) string {
	t.Helper()
	root := t.TempDir()
	if out, err := exec.Command("cp", "-a", filepath.Join("testdata", name)+"/.", root).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	return root
}

// found is a conflict reduced to what the tables below assert.
type found struct {
	Manager, File string
	Line          int
	Iface         string
	Resolvable    bool
}

func reduce(cs []Conflict) []found {
	var out []found
	for _, c := range cs {
		out = append(out, found{c.Manager, c.File, c.Line, c.Iface, c.Resolvable})
	}
	return out
}

func TestDetectResolveRevert(t *testing.T) {
	for _, tc := range []struct {
		name   string
		detect func(string, []Iface) ([]Conflict, error)
		want   []found
		left   []found // what resolving cannot fix
	}{
		{
			name:   "networkd",
			detect: DetectNetworkd,
			want: []found{
				{Networkd, "/etc/systemd/network/10-uplink.network", 3, "enp1s0f0", true},
				{Networkd, "/etc/systemd/network/20-wired.network", 2, "enp1s0f1", true},
				{Networkd, "/etc/systemd/network/30-storage.network", 2, "bond0", true},
				{Networkd, "/etc/systemd/network/30-storage.network", 2, "br0", true},
				{Networkd, "/etc/systemd/network/30-storage.network", 2, "bond0.100", true},
				{Networkd, "/etc/systemd/network/30-storage.network", 2, "br100", true},
				{Networkd, "/etc/systemd/network/40-bond0.netdev", 2, "bond0", false},
			},
			left: []found{{Networkd, "/etc/systemd/network/40-bond0.netdev", 2, "bond0", false}},
		},
		{
			name:   "nm",
			detect: DetectNetworkManager,
			want: []found{
				{NetworkManager, "/etc/NetworkManager/system-connections/Wired connection 1.nmconnection", 6, "enp1s0f0", true},
				{NetworkManager, "/etc/NetworkManager/system-connections/mgmt.nmconnection", 7, "enp1s0f1", true},
				{NetworkManager, "/etc/NetworkManager/system-connections/br0.nmconnection", 5, "br0", true},
			},
		},
		{
			name:   "ifupdown",
			detect: DetectIfupdown,
			want: []found{
				{Ifupdown, "/etc/network/interfaces", 11, "enp1s0f0", true},
				{Ifupdown, "/etc/network/interfaces", 14, "enp1s0f1", true},
				{Ifupdown, "/etc/network/interfaces.d/legacy-bridge", 4, "enp1s0f1", false},
			},
			left: []found{{Ifupdown, "/etc/network/interfaces.d/legacy-bridge", 4, "enp1s0f1", false}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := copyRoot(t, tc.name)
			before := snapshotTree(t, root)
			got, err := tc.detect(root, targets())
			if err != nil {
				t.Fatal(err)
			}
			if !equal(reduce(got), tc.want) {
				t.Fatalf("conflicts:\n got %+v\nwant %+v", reduce(got), tc.want)
			}
			for _, c := range got {
				if c.Fix == "" || c.How == "" {
					t.Errorf("conflict without how or fix: %+v", c)
				}
				t.Log(c)
			}
			r, err := Resolve(root, targets(), got)
			if err != nil {
				t.Fatal(err)
			}
			after, err := tc.detect(root, targets())
			if err != nil {
				t.Fatal(err)
			}
			if !equal(reduce(after), tc.left) {
				t.Fatalf("after the drop-ins %v, %v: conflicts left %+v, want %+v", r.DropIns, r.Edited, reduce(after), tc.left)
			}
			if err := Revert(root, *r); err != nil {
				t.Fatal(err)
			}
			if diff := compareTrees(before, snapshotTree(t, root)); diff != "" {
				t.Errorf("revert did not restore the files: %s", diff)
			}
		})
	}
}

func equal(a, b []found) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func snapshotTree(t *testing.T, root string) map[string]string {
	t.Helper()
	m := map[string]string{}
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		if info.Mode()&os.ModeSymlink != 0 {
			l, _ := os.Readlink(p)
			m[p] = "-> " + l
			return nil
		}
		b, _ := os.ReadFile(p)
		m[p] = info.Mode().String() + " " + string(b)
		return nil
	})
	return m
}

func compareTrees(a, b map[string]string) string {
	var d []string
	for k, v := range a {
		if b[k] != v {
			d = append(d, "changed or missing "+k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			d = append(d, "left behind "+k)
		}
	}
	return strings.Join(d, "; ")
}

func TestIfupdownEditKeepsOtherNames(t *testing.T) {
	root := copyRoot(t, "ifupdown")
	cs, _ := DetectIfupdown(root, targets())
	if _, err := Resolve(root, targets(), cs); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(root, InterfacesFile))
	for _, want := range []string{"\n" + disabledMark + "allow-hotplug enp1s0f0\n", "\n" + disabledMark + "auto enp1s0f1 enp2s0\n" + addedMark + "\nauto enp2s0\n", "\nauto lo\n"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("edited interfaces lacks %q:\n%s", want, b)
		}
	}
}

func TestDropInTexts(t *testing.T) {
	d := networkdDropIns(targets())
	if want := "[Match]\nMACAddress=52:54:00:12:00:01 52:54:00:12:00:02\n\n[Link]\nUnmanaged=yes\n"; !strings.HasSuffix(d[NetworkdNICs], want) {
		t.Errorf("NIC drop-in:\n%s", d[NetworkdNICs])
	}
	if want := "[Match]\nName=bond0 bond0.100 br0 br100\n"; !strings.Contains(d[NetworkdLinks], want) {
		t.Errorf("links drop-in:\n%s", d[NetworkdLinks])
	}
	if want := "unmanaged-devices+=mac:52:54:00:12:00:01;mac:52:54:00:12:00:02;interface-name:=bond0;interface-name:=br0;interface-name:=bond0.100;interface-name:=br100\n"; !strings.HasSuffix(nmDropIn(targets()), want) {
		t.Errorf("NM drop-in:\n%s", nmDropIn(targets()))
	}
}

func TestNMUnmanagedOrder(t *testing.T) {
	// The shipped "unmanaged-devices=*" in /usr/lib is read first and replaced by
	// NetworkManager.conf; conf.d appends.
	got := nmUnmanaged(filepath.Join("testdata", "nm"))
	if strings.Join(got, ";") != "interface-name:docker0;mac:52:54:00:12:00:09" {
		t.Errorf("unmanaged-devices = %q", got)
	}
}

func TestNMEnabledManagesEveryNIC(t *testing.T) {
	root := copyRoot(t, "nm")
	os.RemoveAll(filepath.Join(root, "etc/NetworkManager/system-connections"))
	got, _ := DetectNetworkManager(root, targets())
	if len(got) != 2 || got[0].Iface != "enp1s0f0" || got[1].Iface != "enp1s0f1" {
		t.Fatalf("enabled NetworkManager without profiles: %+v", reduce(got))
	}
	mask := filepath.Join(root, "etc/systemd/system/NetworkManager.service")
	os.Symlink("/dev/null", mask)
	if got, _ := DetectNetworkManager(root, targets()); len(got) != 0 {
		t.Errorf("masked NetworkManager without profiles: %+v", reduce(got))
	}
	os.Remove(mask)
	os.Remove(filepath.Join(root, "etc/systemd/system/multi-user.target.wants/NetworkManager.service"))
	if got, _ := DetectNetworkManager(root, targets()); len(got) != 0 {
		t.Errorf("disabled NetworkManager without profiles: %+v", reduce(got))
	}
}

func TestGlobList(t *testing.T) {
	for _, tc := range []struct {
		pats []string
		name string
		want bool
	}{
		{[]string{"en*", "eth*"}, "enp1s0", true},
		{[]string{"en*", "eth*"}, "bond0", false},
		{[]string{"!en*", "eth*"}, "bond0", true},
		{[]string{"!en*", "eth*"}, "eth1", false},
		{[]string{"br[0-9]*"}, "br100", true},
	} {
		if got := globList(tc.pats, tc.name); got != tc.want {
			t.Errorf("globList(%q, %q) = %v", tc.pats, tc.name, got)
		}
	}
}
