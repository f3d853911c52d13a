package importer

import (
	"bytes"
	"flag"
	"fmt"
	"hash/fnv"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/hostnet/hostnet/hostnet/bonding"
	"github.com/hostnet/hostnet/hostnet/plan"
)

// testSlaves names the slaves of the modprobe corpus, as --slaves does.
var testSlaves = map[string][]string{"bond0": {"eth0", "eth1"}, "bond1": {"eth2", "eth3"}}

var update = flag.Bool("update", false, "rewrite the golden plans in testdata/golden")

// testMAC stands in for the live lookup of a NIC's permanent MAC: stable per name.
func testMAC(name string) net.HardwareAddr {
	h := fnv.New32a()
	h.Write([]byte(name))
	s := h.Sum32()
	return net.HardwareAddr{0x52, 0x54, 0x00, 0xee, byte(s >> 8), byte(s)}
}

// corpus lists every real-world style configuration under testdata with what its import
// must carry over (fragments of the plan) and what it must report (fragments of the
// diagnostics, file:line first).
var corpus = []struct {
	name, format string
	files        []string
	plan         []string
	diags        []string
}{
	{"proxmox", "interfaces", []string{"interfaces/proxmox/interfaces"},
		[]string{`mode             = "802.3ad"`, `lacp_rate        = "fast"`, `vlan_filtering = true`, `forward_delay  = 0`,
			`vlan "bond0_50" { link = bond.bond0 id = 50`, `lacp = true`, "# from interfaces/proxmox/interfaces.d/storage:3"},
		[]string{"interfaces/proxmox/interfaces.d/storage:6: warning: bond0.50: post-up"}},
	// bridge-vids on the bridge is the ports' default; a port's own bridge-vids (bridge-trunk),
	// bridge-pvid and bridge-access override it (ifupdown2's bridge addon).
	{"ifupdown2-vlan-aware", "interfaces", []string{"interfaces/ifupdown2-vlan-aware/interfaces"},
		[]string{`vlan_filtering = true`, `port { link = bond.bond0 vids = [100, "200-299", 4000] }`,
			`port { link = nic.ens2 vids = [] pvid = 300 }`, `port { link = nic.ens3 vids = [21] pvid = 20 }`,
			`vlan "br0_100" { link = bridge.br0 id = 100`},
		nil},
	{"ifupdown2-vlans", "interfaces", []string{"interfaces/ifupdown2-vlans/interfaces"},
		[]string{`mode             = "active-backup"`, `primary          = nic.ens1f0`, `updelay          = 200`,
			`vlan "vlan100" { name = "vlan100" link = bond.bond0 id = 100 }`, `ageing_time   = 600`, `gateway   = "198.51.100.1"`},
		[]string{"interfaces/ifupdown2-vlans/interfaces:41: warning: br200: dns-nameservers"}},
	{"ifupdown2-arp", "interfaces", []string{"interfaces/ifupdown2-arp/interfaces"},
		[]string{`arp_interval = 100`, `arp_ip_target = ["203.0.113.20", "203.0.113.21"]`, `arp_validate = "active"`,
			`primary = nic.eth2`, `vlan "bond1_30" { link = bond.bond1 id = 30 addresses = ["198.51.100.10/24"] }`},
		nil},
	{"debian-arp", "interfaces", []string{"interfaces/debian-arp/interfaces"},
		[]string{`arp_ip_target = ["203.0.113.20", "203.0.113.21"]`, `arp_interval  = 200`, `addresses = ["203.0.113.10/24"]`,
			`slaves        = [nic.eth0, nic.eth1, nic.eth2]`},
		[]string{"interfaces/debian-arp/interfaces:13: warning: bond0: up /sbin/ifenslave"}},
	{"rhel-lacp", "ifcfg", []string{"ifcfg/rhel-lacp/ifcfg-eth0", "ifcfg/rhel-lacp/ifcfg-eth1", "ifcfg/rhel-lacp/ifcfg-bond0",
		"ifcfg/rhel-lacp/ifcfg-br0", "ifcfg/rhel-lacp/ifcfg-bond0.100", "ifcfg/rhel-lacp/ifcfg-br100"},
		[]string{`mac = "52:54:00:11:00:01"`, `ad_select        = "bandwidth"`, `ports         = [bond.bond0]`,
			`ageing_time        = 300`, `multicast_snooping = false`, `addresses     = ["198.51.100.40/24"]`},
		[]string{"ifcfg/rhel-lacp/ifcfg-br0:11: warning: br0: DNS1=198.51.100.53"}},
	{"ovirt-arp", "ifcfg", []string{"ifcfg/ovirt-arp/ifcfg-ens3", "ifcfg/ovirt-arp/ifcfg-ens4", "ifcfg/ovirt-arp/ifcfg-bond1",
		"ifcfg/ovirt-arp/ifcfg-vlan300"},
		[]string{`arp_ip_target = ["198.51.100.1", "198.51.100.2"]`, `arp_validate  = "active"`, `primary       = nic.ens3`,
			`link      = bond.bond1`, `id        = 300`, `addresses     = ["198.51.100.50/24"]`},
		nil},
	{"modprobe-howto", "modprobe", []string{"modprobe/howto-rr.conf"},
		[]string{`mode   = 0`, `miimon = 80`},
		[]string{"modprobe/howto-rr.conf:2: warning: bond bond0: slaves eth0 eth1 from --slaves"}},
	{"modprobe-arp", "modprobe", []string{"modprobe/arp.conf"},
		[]string{`arp_ip_target = ["203.0.113.20", "203.0.113.21"]`, `lacp_rate        = 1`, `xmit_hash_policy = "layer2+3"`},
		[]string{"modprobe/arp.conf:5: warning: install bond2"}},
	{"netplan", "netplan", []string{"netplan/60-arp.yaml", "netplan/50-bond-bridge-vlans.yaml"},
		[]string{`nic "enp1s0"`, `mac = "52:54:00:13:00:01"`, `slaves           = [nic.enp1s0, nic.enp2s0]`, `xmit_hash_policy = "layer3+4"`,
			`gateway       = "198.51.100.1"`, `via    = "198.51.100.254"`, `metric = 100`, `bridge "br200" { ports = [vlan.bond0_200] }`,
			`arp_interval  = 500`, `fail_over_mac = "active"`, `primary       = nic.eno3`},
		[]string{"netplan/50-bond-bridge-vlans.yaml:40: warning: br0: nameservers"}},
	{"nmstate-lacp", "nmstate", []string{"nmstate/lacp-bridge-vlans.yml"},
		[]string{`mode             = "802.3ad"`, `gateway       = "198.51.100.1"`, `metric = 150`, `ageing_time   = 600`,
			`link = bond.bond0`},
		[]string{"nmstate/lacp-bridge-vlans.yml:64: warning: dns-resolver"}},
	{"nmstate-vlan-aware", "nmstate", []string{"nmstate/vlan-aware-arp.yml"},
		[]string{`arp_validate  = "backup"`, `vlan_filtering = true`, `forward_delay  = 0`,
			`port { link = bond.bond1 vids = ["10-20"] pvid = 0 }`},
		nil},
	{"nmstate-vlan-ports", "nmstate", []string{"nmstate/vlan-aware-ports.yml"},
		[]string{`vlan_filtering = true`, `port { link = nic.eth0 vids = [101, "200-299"] }`,
			`port { link = nic.eth1 vids = [] pvid = 101 }`},
		nil},
}

// TestCorpus imports every configuration of the corpus, checks what was carried over and
// what was reported, compares with the golden plan and validates the plan.
func TestCorpus(t *testing.T) {
	for _, c := range corpus {
		t.Run(c.name, func(t *testing.T) {
			doc := importCorpus(t, c.format, c.files)
			src := doc.HCL()
			var diags bytes.Buffer
			doc.WriteDiags(&diags)
			flat := squeeze(strings.ReplaceAll(string(src), "\n", " "))
			for _, want := range c.plan {
				if !strings.Contains(flat, squeeze(want)) {
					t.Errorf("plan lacks %q:\n%s", want, src)
				}
			}
			for _, want := range c.diags {
				if !strings.Contains(diags.String(), want) {
					t.Errorf("diagnostics lack %q:\n%s", want, diags.String())
				}
			}
			if doc.HasErrors() {
				t.Errorf("import errors:\n%s", diags.String())
			}
			golden := filepath.Join("testdata", "golden", c.name+".hcl")
			if *update {
				if err := os.WriteFile(golden, src, 0o644); err != nil {
					t.Fatal(err)
				}
			} else if want, err := os.ReadFile(golden); err != nil || !bytes.Equal(want, src) {
				t.Errorf("plan differs from %s (go test -update to accept):\n%s", golden, src)
			}
			if formatted := hclwrite.Format(src); !bytes.Equal(formatted, src) {
				t.Errorf("the plan is not as hclwrite.Format (terraform fmt) writes it:\n%s", src)
			}
			p, _, vd := Check(c.name+".hcl", src, nil)
			if p == nil {
				t.Fatalf("imported plan does not validate: %s\n%s", vd.Error(), src)
			}
		})
	}
}

func importCorpus(t *testing.T, format string, files []string) *Doc {
	t.Helper()
	paths := make([]string, len(files))
	for k, f := range files {
		paths[k] = filepath.Join("testdata", f)
	}
	wd, _ := os.Getwd()
	if err := os.Chdir("testdata"); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	doc, err := ImportFiles(format, files, Options{MAC: testMAC, Slaves: testSlaves})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestBondOptionsCarried checks that each bond option of the corpus reaches the decoded
// plan with the value the source gave (not only the text).
func TestBondOptionsCarried(t *testing.T) {
	cases := []struct {
		name, format string
		files        []string
		bond, opt    string
		want         string
	}{
		{"ifcfg lacp_rate", "ifcfg", []string{"ifcfg/rhel-lacp/ifcfg-bond0"}, "bond0", "lacp_rate", "fast"},
		{"modprobe mode 0", "modprobe", []string{"modprobe/howto-rr.conf"}, "bond0", "mode", "balance-rr"},
		{"netplan miimon", "netplan", []string{"netplan/50-bond-bridge-vlans.yaml"}, "bond0", "miimon", "100"},
		{"nmstate arp_validate", "nmstate", []string{"nmstate/vlan-aware-arp.yml"}, "bond1", "arp_validate", "backup"},
		{"interfaces downdelay", "interfaces", []string{"interfaces/ifupdown2-vlans/interfaces"}, "bond0", "downdelay", "200"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := importCorpus(t, c.format, c.files)
			p, _, diags := plan.DecodeWithFiles([]plan.Input{{Name: "x.hcl", Bytes: doc.HCL()}}, nil, nil)
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			for _, b := range p.Bonds {
				if b.Name == c.bond {
					o, _ := bonding.Lookup(c.opt)
					if got := b.Options.Get(o.ID).Format(o.ID); got != c.want || !b.Options.IsSet(o.ID) {
						t.Errorf("%s = %s (set %v), want %s", c.opt, got, b.Options.IsSet(o.ID), c.want)
					}
					return
				}
			}
			t.Fatalf("no bond %s", c.bond)
		})
	}
}

// TestBadInput: what cannot be parsed is reported with its file and line, and the rest is
// still imported.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		format, content, want string
	}{
		{"interfaces", "iface bond0 inet manual\n  bond-mode 9\n  bond-slaves eth0\n", "bad:2: error: bond bond0: mode = \"9\""},
		{"interfaces", "  address 198.51.100.1/24\n", "bad:1: error: option address outside an iface stanza"},
		{"interfaces", "iface br0 inet static\n  address 198.51.100.1/33\n", "bad:2: error: br0: address"},
		{"interfaces", "source bad\n", "bad:1: error: source"}, // sources itself: depth bound
		{"interfaces", "iface br0\n  bridge-ports eth0\n  bridge-vlan-aware yes\n  bridge-vids 2-5000\n", "bad:4: error: br0: bridge-vids: \"2-5000\" is outside 1-4094"},
		{"interfaces", "iface eth0\n  bridge-access 0\n", "bad:2: error: eth0: bridge-access \"0\" is not a VLAN id"},
		{"interfaces", "iface br0\n  bridge-ports eth0\n  bridge-vids 10\n", "bad:3: warning: br0: bridge VLAN settings on a bridge without bridge-vlan-aware yes"},
		{"interfaces", "iface eth0\n  bridge-pvid 10\n", "bad:2: warning: eth0: bridge VLAN settings on an interface that is no port of a VLAN-aware bridge"},
		{"nmstate", "interfaces:\n- name: br0\n  type: linux-bridge\n  bridge:\n    port:\n    - name: eth0\n      vlan:\n        mode: access\n",
			"bad:7: error: br0: port eth0: vlan mode access without a tag"},
		{"nmstate", "interfaces:\n- name: br0\n  type: linux-bridge\n  bridge:\n    port:\n    - name: eth0\n      vlan:\n        trunk-tags:\n        - id-range: {min: 20, max: 10}\n",
			"bad:9: error: br0: port eth0: id-range 20-10 runs backwards"},
		{"nmstate", "interfaces:\n- name: br0\n  type: linux-bridge\n  bridge:\n    port:\n    - name: eth0\n      vlan:\n        trunk-tags:\n        - id: 4095\n",
			"bad:9: error: br0: port eth0: vlan trunk-tags id \"4095\" is not a VLAN id"},
		{"ifcfg", "DEVICE=bond0\nBONDING_OPTS=\"mode=$(reboot)\"\n", "bad:2: error: BONDING_OPTS: shell expansion"},
		{"ifcfg", "DEVICE=eth0\nthis is not a line\n", "bad:2: error: not a KEY=VALUE line"},
		{"modprobe", "options bond0 miimon=fast\n", "bad:1: error: bond bond0: miimon = \"fast\" is not a number"},
		{"netplan", "network:\n  bonds:\n    bond0:\n      parameters: {mode: [\n", "bad:4: error: not YAML"},
		{"netplan", "network:\n  version: 2\n  bonds:\n    bond0:\n      mtu: big\n", "bad:5: error: bond0: mtu \"big\""},
		{"nmstate", "interfaces:\n- type: bond\n", "bad:2: error: an interface without a name"},
		{"nmstate", "a: &x [*x]\n", "error: YAML aliases are not followed"},
	}
	for _, c := range cases {
		t.Run(c.format+" "+c.want, func(t *testing.T) {
			path := filepath.Join(dir, "bad")
			if err := os.WriteFile(path, []byte(c.content), 0o644); err != nil {
				t.Fatal(err)
			}
			wd, _ := os.Getwd()
			os.Chdir(dir)
			defer os.Chdir(wd)
			doc, err := ImportFiles(c.format, []string{"bad"}, Options{MAC: testMAC})
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			doc.WriteDiags(&b)
			if !strings.Contains(b.String(), c.want) {
				t.Errorf("diagnostics lack %q:\n%s", c.want, b.String())
			}
		})
	}
}

// TestLimits: input beyond the bounds is refused with a diagnostic, not read.
func TestLimits(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, bytes.Repeat([]byte("# x\n"), 1000), 0o644); err != nil {
		t.Fatal(err)
	}
	doc, _ := ImportFiles("interfaces", []string{big}, Options{Limits: Limits{FileBytes: 100, Files: 10, Interfaces: 10, Diags: 10}})
	if !doc.HasErrors() || !strings.Contains(doc.Diags[0].Message, "larger than 100 bytes") {
		t.Errorf("big file: %v", doc.Diags)
	}
	var many strings.Builder
	for k := range 50 {
		fmt.Fprintf(&many, "iface br%d inet manual\n  bridge-ports none\n", k)
	}
	f := filepath.Join(dir, "many")
	os.WriteFile(f, []byte(many.String()), 0o644)
	doc, _ = ImportFiles("interfaces", []string{f}, Options{Limits: Limits{FileBytes: 1 << 20, Files: 10, Interfaces: 10, Diags: 10}})
	if len(doc.Ifaces) != 10 || !doc.HasErrors() {
		t.Errorf("interfaces: %d, diags %v", len(doc.Ifaces), doc.Diags)
	}
}

// TestNoMAC: a NIC whose MAC is unknown gets a variable, and the plan validates once it is
// set.
func TestNoMAC(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "interfaces")
	os.WriteFile(f, []byte("iface bond0\n  bond-slaves eth0\n  bond-mode active-backup\n  bond-miimon 100\n"), 0o644)
	doc, _ := ImportFiles("interfaces", []string{f}, Options{})
	src := doc.HCL()
	if !bytes.Contains(src, []byte(`mac = var.mac_eth0`)) {
		t.Fatalf("no variable:\n%s", src)
	}
	if p, _, d := Check("x.hcl", src, []string{"mac_eth0=52:54:00:00:00:01"}); p == nil {
		t.Fatal(d.Error())
	}
}

// squeeze collapses runs of blanks, so that expectations do not depend on alignment.
func squeeze(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' }), " ")
}

// FuzzImport feeds every parser arbitrary bytes (seeded with the corpus): it must never
// panic, and whatever it imports must render as a plan that HCL parses. Source directives
// are not followed (the depth bound is reached at once), so the fuzzer reads no files.
func FuzzImport(f *testing.F) {
	for _, c := range corpus {
		for _, file := range c.files {
			b, err := os.ReadFile(filepath.Join("testdata", file))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(c.format, b)
		}
	}
	f.Fuzz(func(t *testing.T, format string, b []byte) {
		d := newDoc(format, DefaultLimits)
		parse := parser(format, &reader{d: d}, Options{MAC: testMAC}, maxSourceDepth)
		if parse == nil {
			return
		}
		parse("fuzz", b)
		d.finish(Options{MAC: testMAC})
		src := d.HCL()
		if _, diags := hclsyntax.ParseConfig(src, "fuzz.hcl", hcl.InitialPos); diags.HasErrors() {
			t.Fatalf("the plan does not parse: %s\n%s", diags.Error(), src)
		}
	})
}

// TestLibvirtNetworks: bridge networks on an imported bridge become libvirt_network
// blocks; the others are reported.
func TestLibvirtNetworks(t *testing.T) {
	doc := importCorpus(t, "interfaces", []string{"interfaces/ifupdown2-vlans/interfaces"})
	doc.AddLibvirt([]LibvirtNetwork{
		{Name: "lan", Forward: "bridge", Bridge: "br0", Autostart: true, Active: true},
		{Name: "tenant.100", Forward: "bridge", Bridge: "br100", Active: true, MTU: 1500},
		{Name: "default", Forward: "nat", Bridge: "virbr0", Autostart: true, Active: true},
		{Name: "qos", Forward: "bridge", Bridge: "br200", Active: true, Extra: "bandwidth"},
		{Name: "elsewhere", Forward: "bridge", Bridge: "br9", Active: true},
	})
	src := doc.HCL()
	flat := squeeze(strings.ReplaceAll(string(src), "\n", " "))
	for _, want := range []string{`libvirt_network "lan" { bridge = bridge.br0 autostart = true }`,
		`libvirt_network "tenant_100" { name = "tenant.100" bridge = bridge.br100 autostart = false mtu = 1500 }`} {
		if !strings.Contains(flat, want) {
			t.Errorf("plan lacks %q:\n%s", want, src)
		}
	}
	var diags bytes.Buffer
	doc.WriteDiags(&diags)
	for _, want := range []string{`libvirt network default: warning: forward mode "nat"`, "libvirt network qos: warning: has bandwidth",
		"libvirt network elsewhere: warning: on br9, which is not a bridge of this import"} {
		if !strings.Contains(diags.String(), want) {
			t.Errorf("diagnostics lack %q:\n%s", want, diags.String())
		}
	}
	if p, _, d := Check("x.hcl", src, nil); p == nil || len(p.Networks) != 2 {
		t.Fatalf("plan: %v", d)
	}
}

// TestImplicitVLAN: a bridge port named <bond>.<id> without a stanza of its own is that
// VLAN (ifupdown creates it), not a NIC.
func TestImplicitVLAN(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "interfaces")
	os.WriteFile(f, []byte("iface bond0\n  bond-slaves eth0 eth1\n  bond-mode active-backup\n  bond-miimon 100\n\n"+
		"iface br100\n  bridge-ports bond0.100\n"), 0o644)
	doc, _ := ImportFiles("interfaces", []string{f}, Options{MAC: testMAC})
	if v := doc.byName["bond0.100"]; v == nil || v.Kind != VLAN || v.Link != "bond0" || v.ID != 100 {
		t.Fatalf("bond0.100: %+v", v)
	}
	if p, _, d := Check("x.hcl", doc.HCL(), nil); p == nil {
		t.Fatal(d.Error())
	}
}
