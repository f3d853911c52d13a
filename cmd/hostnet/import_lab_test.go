//go:build lab

package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"libvirt.org/go/libvirt"

	"github.com/hostnet/hostnet/hostnet/lab/labvirt"
	"github.com/hostnet/hostnet/hostnet/lab/topo"
)

// TestImportAdoptCLI: a bond under a bridge made without hostnet (plain netlink, as any
// tool would) and a libvirt network on the bridge are imported from the live kernel and
// libvirt; plan shows all three as "= adopt", apply marks them (the network keeps running)
// and the next plan is empty. A plan that changes the unmarked bond is refused until
// --adopt, which then shows and makes the change in place.
func TestImportAdoptCLI(t *testing.T) {
	tp, err := topo.New()
	if err != nil {
		t.Fatal(err)
	}
	defer tp.Close()
	for k, name := range []string{"eth0", "eth1"} {
		mac, _ := net.ParseMAC("52:54:00:00:0b:0" + string(rune('1'+k)))
		if err := tp.AddNICNamed(name, name, mac); err != nil { // the kernel's names, as the host had them
			t.Fatal(err)
		}
	}
	bond := netlink.NewLinkBond(netlink.LinkAttrs{Name: "bond0"})
	bond.Mode, bond.Miimon = netlink.BOND_MODE_ACTIVE_BACKUP, 100
	must(t, netlink.LinkAdd(bond))
	defer netlink.LinkDel(bond)
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "br0"}}
	must(t, netlink.LinkAdd(br))
	defer netlink.LinkDel(br)
	for _, n := range []string{"eth0", "eth1"} {
		l, err := netlink.LinkByName(n)
		must(t, err)
		must(t, netlink.LinkSetMasterByIndex(l, bond.Attrs().Index))
	}
	must(t, netlink.LinkSetMaster(bond, br))
	addr, _ := netlink.ParseAddr("198.51.100.10/24")
	must(t, netlink.AddrAdd(br, addr))
	for _, l := range []netlink.Link{bond, br} {
		must(t, netlink.LinkSetUp(l))
	}

	// A libvirt network on br0 defined by hand (virsh net-define would do the same).
	lv, err := libvirt.NewConnect(labvirt.URI)
	must(t, err)
	defer lv.Close()
	lan, err := lv.NetworkDefineXML("<network><name>lan</name><forward mode='bridge'/><bridge name='br0'/></network>")
	must(t, err)
	defer func() { lan.Destroy(); lan.Undefine(); lan.Free() }()
	must(t, lan.Create())
	must(t, lan.SetAutostart(true))

	dir := t.TempDir()
	state := t.TempDir()
	if code, out, errs := runCLI(t, "import", "live", "-o", dir); code != 0 {
		t.Fatalf("import live: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs := runCLI(t, "plan", dir)
	for _, want := range []string{"= adopt bond.bond0", "= adopt bridge.br0", "Plan: 2 to adopt, 0 to create, 0 to update in place",
		"= adopt libvirt network lan (libvirt_network.lan)", "Libvirt: 1 to adopt, 0 to create"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("plan: exit %d, lacks %q\n%s%s", code, want, out, errs)
		}
	}

	// The same plan with another miimon: refused without --adopt, in place with it.
	src, err := os.ReadFile(filepath.Join(dir, "imported.hcl"))
	must(t, err)
	changed := t.TempDir()
	if !strings.Contains(string(src), "miimon") {
		t.Fatalf("no miimon in the import:\n%s", src)
	}
	must(t, os.WriteFile(filepath.Join(changed, "plan.hcl"), []byte(strings.Replace(string(src), "= 100", "= 200", 1)), 0o644))
	if code, out, errs := runCLI(t, "plan", changed); code != 1 || !strings.Contains(errs, "--adopt") {
		t.Errorf("plan of a change to an unmarked bond: exit %d\n%s%s", code, out, errs)
	}
	if code, out, errs := runCLI(t, "plan", "--adopt", changed); code != 0 || !strings.Contains(out, "~ update in place bond.bond0") ||
		!strings.Contains(out, "miimon  100 → 200") {
		t.Errorf("plan --adopt: exit %d\n%s%s", code, out, errs)
	}

	if code, out, errs := runCLI(t, "apply", "--auto-approve", "--state-dir", state, dir); code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errs)
	}
	if code, out, errs := runCLI(t, "plan", "--detailed-exitcode", dir); code != 0 {
		t.Errorf("plan after the adoption: exit %d\n%s%s", code, out, errs)
	}
	xml, err := lan.GetXMLDesc(libvirt.NETWORK_XML_INACTIVE)
	must(t, err)
	if !strings.Contains(xml, "plan-address=\"libvirt_network.lan\"") {
		t.Errorf("lan not marked:\n%s", xml)
	}
	if active, err := lan.IsActive(); err != nil || !active {
		t.Errorf("lan not running after the adoption: %v %v", active, err)
	}
	for _, n := range []string{"bond0", "br0"} {
		l, err := netlink.LinkByName(n)
		must(t, err)
		if !strings.HasPrefix(l.Attrs().Alias, "hostnet:") {
			t.Errorf("%s not marked: %q", n, l.Attrs().Alias)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestImportLiveVLANAwareCLI: a VLAN-aware bridge made without hostnet (a trunk uplink
// carrying 2-4094 with VLAN 1 untagged, an access port in VLAN 30, a VLAN interface on the
// bridge) is imported from the live kernel with its ports' VLANs, and the plan of the
// import only adopts: the kernel's VLANs are the plan's.
func TestImportLiveVLANAwareCLI(t *testing.T) {
	tp, err := topo.New()
	if err != nil {
		t.Fatal(err)
	}
	defer tp.Close()
	for k, name := range []string{"eth0", "eth1"} {
		mac, _ := net.ParseMAC("52:54:00:00:0c:0" + string(rune('1'+k)))
		if err := tp.AddNICNamed(name, name, mac); err != nil {
			t.Fatal(err)
		}
	}
	on := true
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "vmbr0"}, VlanFiltering: &on}
	must(t, netlink.LinkAdd(br))
	defer netlink.LinkDel(br)
	uplink, err := netlink.LinkByName("eth0")
	must(t, err)
	access, err := netlink.LinkByName("eth1")
	must(t, err)
	for _, l := range []netlink.Link{uplink, access} {
		must(t, netlink.LinkSetMaster(l, br))
	}
	must(t, netlink.BridgeVlanAddRange(uplink, 2, 4094, false, false, false, true))
	must(t, netlink.BridgeVlanDel(access, 1, true, true, false, true))
	must(t, netlink.BridgeVlanAdd(access, 30, true, true, false, true))
	vl := &netlink.Vlan{LinkAttrs: netlink.LinkAttrs{Name: "vmbr0.50", ParentIndex: br.Attrs().Index}, VlanId: 50}
	must(t, netlink.LinkAdd(vl))
	defer netlink.LinkDel(vl)
	must(t, netlink.BridgeVlanAdd(br, 50, false, false, true, false))
	for _, l := range []netlink.Link{uplink, access, br, vl} {
		must(t, netlink.LinkSetUp(l))
	}

	dir := t.TempDir()
	if code, out, errs := runCLI(t, "import", "live", "-o", dir); code != 0 {
		t.Fatalf("import live: exit %d\n%s%s", code, out, errs)
	}
	src, err := os.ReadFile(filepath.Join(dir, "imported.hcl"))
	must(t, err)
	flat := strings.Join(strings.Fields(string(src)), " ")
	for _, want := range []string{`vlan_filtering = true`, `port { link = nic.eth0 vids = ["2-4094"] }`,
		`port { link = nic.eth1 vids = [] pvid = 30 }`} {
		if !strings.Contains(flat, want) {
			t.Errorf("import lacks %q:\n%s", want, src)
		}
	}
	if strings.Contains(string(src), "not carried over") {
		t.Errorf("the import reports VLANs it did not carry over:\n%s", src)
	}
	code, out, errs := runCLI(t, "plan", dir)
	if want := "Plan: 2 to adopt, 0 to create, 0 to update in place"; code != 0 || !strings.Contains(out, want) {
		t.Errorf("plan: exit %d, lacks %q\n%s%s", code, want, out, errs)
	}
}
