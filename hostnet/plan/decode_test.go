package plan

import (
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/hostnet/hostnet/hostnet/bonding"
)

const twoNICs = `
nic "a" { mac = "52:54:00:00:00:01" }
nic "b" { mac = "52:54:00:00:00:02" }
`

func decode(t *testing.T, src string, vars ...string) (*Plan, hcl.Diagnostics) {
	t.Helper()
	return Decode([]Input{{Name: "plan.hcl", Bytes: []byte(src)}}, nil, vars)
}

func mustDecode(t *testing.T, src string, vars ...string) *Plan {
	t.Helper()
	p, diags := decode(t, src, vars...)
	if diags.HasErrors() {
		t.Fatalf("unexpected errors: %v", diags)
	}
	return p
}

// expectError asserts an error whose summary contains summary, at the given line.
func expectError(t *testing.T, diags hcl.Diagnostics, line int, summary string) {
	t.Helper()
	for _, d := range diags {
		if d.Severity == hcl.DiagError && strings.Contains(d.Summary+": "+d.Detail, summary) {
			if d.Subject == nil || d.Subject.Start.Line != line {
				t.Fatalf("error %q at %v, want line %d", d.Summary, d.Subject, line)
			}
			return
		}
	}
	t.Fatalf("no error containing %q in %v", summary, diags)
}

// Option values are accepted in every spelling modprobe and sysfs accept.
func TestBondOptionSpellings(t *testing.T) {
	tests := []struct {
		attr string
		id   bonding.ID
		want uint64
	}{
		{`mode = 1`, bonding.OptMode, 1},
		{`mode = "active-backup"`, bonding.OptMode, 1},
		{`mode = "1"`, bonding.OptMode, 1},
		{`mode = "802.3ad"`, bonding.OptMode, 4},
		{`mode = 6`, bonding.OptMode, 6},
		{`miimon = 100`, bonding.OptMiimon, 100},
		{`miimon = "100"`, bonding.OptMiimon, 100},
		{`use_carrier = false`, bonding.OptUseCarrier, 0},
		{`use_carrier = 1`, bonding.OptUseCarrier, 1},
		{`num_unsol_na = 4`, bonding.OptNumPeerNotif, 4},
		{`num_grat_arp = 2`, bonding.OptNumPeerNotif, 2},
		{`xmit_hash_policy = "layer3+4"`, bonding.OptXmitHashPolicy, 1},
		{`xmit_hash_policy = 5`, bonding.OptXmitHashPolicy, 5},
		{`arp_validate = "filter_backup"`, bonding.OptArpValidate, 6},
		{`fail_over_mac = "follow"`, bonding.OptFailOverMAC, 2},
	}
	for _, tt := range tests {
		t.Run(tt.attr, func(t *testing.T) {
			p := mustDecode(t, twoNICs+"bond \"bond0\" {\n slaves = [nic.a, nic.b]\n "+tt.attr+"\n}\n")
			o := &p.Bonds[0].Options
			if !o.IsSet(tt.id) || o.Num(tt.id) != tt.want {
				t.Fatalf("%s: got %d (set %v), want %d", bonding.Table[tt.id].Name, o.Num(tt.id), o.IsSet(tt.id), tt.want)
			}
		})
	}
}

func TestBondOptionLACPRateSpellings(t *testing.T) {
	for _, v := range []string{`"fast"`, `1`, `"1"`} {
		p := mustDecode(t, twoNICs+`bond "bond0" {
  slaves = [nic.a, nic.b]
  mode = "802.3ad"
  lacp_rate = `+v+"\n}\n")
		if got := p.Bonds[0].Options.Num(bonding.OptLACPRate); got != 1 {
			t.Errorf("lacp_rate = %s: got %d, want 1", v, got)
		}
	}
}

func TestBondOptionErrors(t *testing.T) {
	tests := []struct {
		attr, want string
	}{
		{`mode = "active-passive"`, "mode must be one of"},
		{`mode = 7`, "mode must be one of"},
		{`miimon = -5`, "whole number"},
		{`miimon = 1.5`, "whole number"},
		{`packets_per_slave = 70000`, "from 0 to 65535"},
		{`lacp_rate = "medium"`, "lacp_rate must be one of"},
		{`ad_actor_system = "zz:zz"`, "Invalid MAC address"},
		{`arp_ip_target = ["198.51.100.300"]`, "not an IPv4 or IPv6 address"},
		{`miimon = 100` + "\n num_unsol_na = 2\n num_grat_arp = 2", "same option"},
		{`mtu = 9000` + "\n miimom = 100", "Unsupported argument"},
	}
	for _, tt := range tests {
		t.Run(tt.attr, func(t *testing.T) {
			_, diags := decode(t, twoNICs+"bond \"bond0\" {\n slaves = [nic.a, nic.b]\n "+tt.attr+"\n}\n")
			if !diags.HasErrors() || !strings.Contains(diags.Error(), tt.want) {
				t.Fatalf("want an error containing %q, got %v", tt.want, diags)
			}
		})
	}
}

func TestArpTargetsListAndModprobeSpelling(t *testing.T) {
	for _, v := range []string{`["198.51.100.11", "198.51.100.12"]`, `"198.51.100.11,198.51.100.12"`} {
		p := mustDecode(t, twoNICs+`bond "bond0" {
  slaves = [nic.a, nic.b]
  arp_interval = 80
  arp_ip_target = `+v+"\n}\n")
		got := p.Bonds[0].Options.Get(bonding.OptArpIPTarget).Addrs
		want := []netip.Addr{netip.MustParseAddr("198.51.100.11"), netip.MustParseAddr("198.51.100.12")}
		if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
			t.Errorf("%s: got %v", v, got)
		}
	}
}

// Options the plan leaves out take the kernel's default, which for miimon depends on mode.
func TestKernelDefaultsExplicit(t *testing.T) {
	p := mustDecode(t, twoNICs+`bond "bond0" {
  slaves = [nic.a, nic.b]
  mode = "802.3ad"
}
bond "bond1" {
  slaves = [nic.a]
  mode = "balance-rr"
}`)
	if got := p.Bonds[0].Options.Num(bonding.OptMiimon); got != 100 {
		t.Errorf("802.3ad miimon default = %d, want 100 (kernel forces it)", got)
	}
	if got := p.Bonds[1].Options.Num(bonding.OptMiimon); got != 0 {
		t.Errorf("balance-rr miimon default = %d, want 0", got)
	}
	if got := p.Bonds[0].Options.Num(bonding.OptADActorSysPrio); got != 65535 {
		t.Errorf("ad_actor_sys_prio default = %d", got)
	}
	if p.Bonds[0].Options.IsSet(bonding.OptMiimon) {
		t.Error("a default must not count as set by the plan")
	}
}

func TestSlaveOptionsAndPrimary(t *testing.T) {
	p := mustDecode(t, twoNICs+`bond "bond0" {
  slaves = [nic.a, nic.b]
  mode = 1
  primary = nic.b
  slave {
    nic = nic.b
    queue_id = 3
    prio = -2
  }
}`)
	b := p.Bonds[0]
	if b.Primary != p.NICs[1] || b.Options.Get(bonding.OptPrimary).Iface != "b" {
		t.Errorf("primary = %v", b.Options.Get(bonding.OptPrimary))
	}
	if s := b.Slaves[1]; s.QueueID == nil || *s.QueueID != 3 || s.Prio == nil || *s.Prio != -2 {
		t.Errorf("slave b options: %+v", s)
	}
	if b.Slaves[0].QueueID != nil {
		t.Error("slave a has no queue_id in the plan")
	}
	_, diags := decode(t, twoNICs+`nic "c" { mac = "52:54:00:00:00:03" }
bond "bond0" {
  slaves = [nic.a, nic.b]
  slave {
    nic = nic.c
  }
}`)
	expectError(t, diags, 8, "Not a slave of this bond")
}

func TestForEach(t *testing.T) {
	p := mustDecode(t, twoNICs+`bond "bond0" { slaves = [nic.a, nic.b] }
vlan "tenant" {
  for_each = range(100, 103)
  link     = bond.bond0
  id       = each.value
}
bridge "tenant" {
  for_each = vlan.tenant
  name     = "br${each.key}"
  ports    = [each.value]
}
vlan "named" {
  for_each = { storage = 7, backup = 8 }
  link     = bond.bond0
  id       = each.value
  name     = "v-${each.key}"
}
bridge "single" { ports = [vlan.tenant["101"]] }
`)
	if len(p.VLANs) != 5 || len(p.Bridges) != 4 {
		t.Fatalf("got %d VLANs, %d bridges", len(p.VLANs), len(p.Bridges))
	}
	if v := p.VLANs[0]; v.Name != "bond0.100" || v.ID != 100 || v.Addr != `vlan.tenant["100"]` {
		t.Errorf("first VLAN: %s %d %s", v.Name, v.ID, v.Addr)
	}
	if br := p.Bridges[2]; br.Name != "br102" || br.Ports[0] != p.VLANs[2] {
		t.Errorf("bridge for VLAN 102: %s ports %v", br.Name, br.Ports)
	}
	names := map[string]int{}
	for _, v := range p.VLANs[3:] {
		names[v.Name] = v.ID
	}
	if names["v-storage"] != 7 || names["v-backup"] != 8 {
		t.Errorf("map for_each: %v", names)
	}
	if p.Bridges[3].Name != "single" || p.Bridges[3].Ports[0].Common().Name != "bond0.101" {
		t.Errorf("indexed reference: %+v", p.Bridges[3].Ports[0].Common())
	}
}

func TestReferenceErrors(t *testing.T) {
	tests := []struct {
		name, src string
		line      int
		want      string
	}{
		{"undeclared", `bond "bond0" {
  slaves = [nic.a, nic.c]
}`, 5, `No nic "c" is declared`},
		{"typo suggestion", `bond "bond0" {
  slaves = [nic.aa]
}`, 5, "Did you mean nic.a?"},
		{"wrong kind", `bond "bond0" { slaves = [nic.a] }
bond "bond1" { slaves = [bond.bond0] }`, 5, "bond.bond0 is a bond"},
		{"string not reference", `bond "bond0" { slaves = ["eth0"] }`, 4, "references to nic blocks"},
		{"cycle", `bridge "br0" { ports = [vlan.v] }
vlan "v" {
  link = bridge.br0
  id = 5
}`, 4, "bridge.br0 → vlan.v → bridge.br0"},
		{"each without for_each", `vlan "v" {
  link = nic.a
  id = each.value
}`, 6, "each is only valid with for_each"},
		{"for_each on a bond", `bond "b" {
  for_each = range(2)
  slaves = [nic.a]
}`, 5, "for_each not allowed here"},
		{"duplicate for_each key", `vlan "v" {
  for_each = [5, 5]
  link = nic.a
  id = each.value
}`, 5, "appears twice"},
		{"missing required", `vlan "v" {
  link = nic.a
}`, 4, "needs id"},
		{"duplicate label", `nic "a" { mac = "52:54:00:00:00:09" }`, 4, "already declared"},
		{"undeclared variable", `nic "c" { mac = var.mac }`, 4, "Reference to undeclared variable"},
		{"bad cidr", `bridge "br0" { addresses = ["198.51.100.10"] }`, 4, "not ADDRESS/PREFIXLEN"},
		{"bad mac", `nic "c" { mac = "52:54:00:00:00" }`, 4, "Invalid MAC address"},
		{"bad gateway", `bridge "br0" { gateway = "198.51.100" }`, 4, "Invalid IP address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := decode(t, twoNICs+tt.src)
			expectError(t, diags, tt.line, tt.want)
		})
	}
}

func TestVariables(t *testing.T) {
	src := `variable "mtu" {
  type = number
  default = 1500
}
variable "addr" { type = string }
variable "vlans" {
  type = list(number)
  default = []
}
nic "a" {
  mac = "52:54:00:00:00:01"
  mtu = var.mtu
  addresses = [var.addr]
}
vlan "v" {
  for_each = toset(var.vlans)
  link = nic.a
  id = each.value
}
`
	p := mustDecode(t, src, "addr=198.51.100.10/24", "vlans=[10, 20]", "mtu=9000")
	if p.NICs[0].MTU != 9000 || p.NICs[0].Addresses[0].String() != "198.51.100.10/24" || len(p.VLANs) != 2 {
		t.Fatalf("vars not applied: mtu %d addrs %v vlans %d", p.NICs[0].MTU, p.NICs[0].Addresses, len(p.VLANs))
	}

	// A variables file, overridden by -var.
	dir := t.TempDir()
	planFile := filepath.Join(dir, "main.hcl")
	varFile := filepath.Join(dir, "hv1.vars.hcl")
	os.WriteFile(planFile, []byte(src), 0o644)
	os.WriteFile(varFile, []byte("addr = \"203.0.113.5/24\"\nmtu = 4000\n"), 0o644)
	p, diags := Load(dir, LoadOptions{VarFiles: []string{varFile}, Vars: []string{"mtu=9000"}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if p.NICs[0].MTU != 9000 || p.NICs[0].Addresses[0].String() != "203.0.113.5/24" {
		t.Errorf("precedence: mtu %d addr %v", p.NICs[0].MTU, p.NICs[0].Addresses)
	}

	_, diags = decode(t, src)
	expectError(t, diags, 5, `Variable "addr" has no default`)
	// Each bad --var is one error that names the variable, its type and the value, and
	// the hint names the real flag.
	for _, c := range []struct {
		vars []string
		want string
	}{
		{[]string{"addr=198.51.100.10/24", "mtu=big"}, `--var mtu=big: variable "mtu" is a number; "big" is not a number.`},
		{[]string{"addr=198.51.100.10/24", "vlans=abc"}, `--var vlans=abc: variable "vlans" is of type list(number); write it in HCL, e.g. --var 'vlans=[100, 200]'.`},
		{[]string{"addr=198.51.100.10/24", "vlans=[1, x]"}, `variable "vlans" is of type list(number)`},
		{[]string{"addr=x", "nope=1"}, `--var nope: the plan declares no variable "nope".`},
		{[]string{"addr=x", "mut=1"}, `Did you mean "mtu"?`},
		{[]string{"addr"}, `--var "addr" is not NAME=VALUE`},
		{nil, `give it with --var addr=VALUE or in a --var-file FILE`},
	} {
		_, diags = decode(t, src, c.vars...)
		if !strings.Contains(diags.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.vars, diags, c.want)
		}
		if strings.Contains(diags.Error(), "-var ") && strings.Contains(strings.ReplaceAll(diags.Error(), "--var", ""), "-var") {
			t.Errorf("%v: a hint names -var: %v", c.vars, diags)
		}
	}
	// A value that failed is not also reported as missing.
	if _, diags = decode(t, src, "addr=198.51.100.10/24", "mtu=big"); len(diags.Errs()) != 1 {
		t.Errorf("one bad value, %d errors: %v", len(diags.Errs()), diags)
	}
}

// Several files of a directory form one plan; *.vars.hcl files are not plan files.
func TestDirectoryIsOnePlan(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "nics.hcl"), []byte(twoNICs), 0o644)
	os.WriteFile(filepath.Join(dir, "bond.hcl"), []byte(`bond "bond0" { slaves = [nic.a, nic.b] }`), 0o644)
	os.WriteFile(filepath.Join(dir, "site.vars.hcl"), []byte(`this is not a plan`), 0o644)
	p, diags := Load(dir, LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if len(p.NICs) != 2 || len(p.Bonds) != 1 || len(p.Bonds[0].Slaves) != 2 {
		t.Fatalf("got %d NICs, %d bonds", len(p.NICs), len(p.Bonds))
	}
	if _, ok := p.Files[filepath.Join(dir, "bond.hcl")]; !ok {
		t.Error("files of the plan are kept for diagnostics")
	}
}

// Diagnostics carry file, line and column.
func TestDiagnosticRanges(t *testing.T) {
	_, diags := decode(t, twoNICs+`bond "bond0" {
  slaves = [nic.a, nic.b]
  mode   = "fastest"
}`)
	if len(diags) != 1 {
		t.Fatalf("want 1 diagnostic, got %v", diags)
	}
	r := diags[0].Subject
	if r.Filename != "plan.hcl" || r.Start.Line != 6 || r.Start.Column != 12 {
		t.Fatalf("range %v, want plan.hcl:6,12", r)
	}
}

func TestCidrHost(t *testing.T) {
	p := mustDecode(t, `nic "a" {
  mac = "52:54:00:00:00:01"
  addresses = [cidrhost("198.51.100.0/24", 10), cidrhost("2001:db8::/64", 255)]
}`)
	if got := p.NICs[0].Addresses; got[0].String() != "198.51.100.10/24" || got[1].String() != "2001:db8::ff/64" {
		t.Fatalf("cidrhost: %v", got)
	}
	_, diags := decode(t, `nic "a" {
  mac = "52:54:00:00:00:01"
  addresses = [cidrhost("198.51.100.0/24", 256)]
}`)
	if !strings.Contains(diags.Error(), "outside") {
		t.Fatalf("cidrhost out of range: %v", diags)
	}
}

func TestOrderedStacksLowerFirst(t *testing.T) {
	p := mustDecode(t, twoNICs+`bridge "br0" { ports = [vlan.v] }
vlan "v" {
  link = bond.bond0
  id = 5
}
bond "bond0" { slaves = [nic.a, nic.b] }`)
	pos := map[string]int{}
	for i, ifc := range p.Ordered() {
		pos[ifc.Common().Name] = i
	}
	if !(pos["a"] < pos["bond0"] && pos["bond0"] < pos["bond0.5"] && pos["bond0.5"] < pos["br0"]) {
		t.Fatalf("order %v", pos)
	}
}

// range goes well past cty's 1024 values: a host may carry every VLAN id.
func TestRangeAllVLANs(t *testing.T) {
	p := mustDecode(t, twoNICs+`vlan "all" {
  for_each = range(1, 4095)
  link = nic.a
  id = each.value
}`)
	if len(p.VLANs) != 4094 || p.VLANs[4093].ID != 4094 {
		t.Fatalf("got %d VLANs", len(p.VLANs))
	}
	for _, tt := range []struct{ expr, want string }{
		{"range(3)", "[0,1,2]"}, {"range(2, 5)", "[2,3,4]"}, {"range(10, 0, -4)", "[10,6,2]"}, {"range(5, 5)", "[]"},
	} {
		p := mustDecode(t, twoNICs+`vlan "v" {
  for_each = `+tt.expr+`
  link = nic.a
  id = each.value + 1
}`)
		var got []string
		for _, v := range p.VLANs {
			got = append(got, strconv.Itoa(v.ID-1))
		}
		if "["+strings.Join(got, ",")+"]" != tt.want {
			t.Errorf("%s = %v, want %s", tt.expr, got, tt.want)
		}
	}
	for _, bad := range []string{"range(0, 1e9)", "range(1, 5, 0)", "range(1, 5, -1)"} {
		_, diags := decode(t, twoNICs+`vlan "v" {
  for_each = `+bad+`
  link = nic.a
  id = each.value
}`)
		if !diags.HasErrors() {
			t.Errorf("%s: want an error", bad)
		}
	}
}
