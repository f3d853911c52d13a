package plan_test

import (
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/hostnet/hostnet/hostnet/diag"
	"github.com/hostnet/hostnet/hostnet/plan"
)

// maxAlloc bounds what one limit case may allocate: far below what the unbounded input
// would take (gigabytes or a crash), far above a normal plan.
const maxAlloc = 512 << 20

// TestLimits: every input that would grow without bound is refused with a diagnostic
// naming the limit, and decoding it allocates a bounded amount of memory.
func TestLimits(t *testing.T) {
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	chain := "1" + strings.Repeat("+1", 200000)
	cases := []struct {
		name, src, want string
	}{
		{"deep brackets", "x = " + deep, "MaxNesting"},
		{"deep parentheses in a variable", `variable "v" { default = ` + strings.Repeat("(", 100000) + "1" + strings.Repeat(")", 100000) + " }", "MaxNesting"},
		{"deep interpolations", `variable "v" { default = "` + strings.Repeat(`${"`, 50000) + strings.Repeat(`"}`, 50000) + `" }`, "MaxNesting"},
		{"operator chain", `variable "v" { default = ` + chain + " }", "MaxOperators"},
		{"setproduct", `vlan "v" {
  for_each = setproduct(range(65536), range(65536))
  link = nic.n
  id = 1
}
nic "n" { mac = "52:54:00:00:00:01" }`, "MaxElements"},
		{"nested for", `variable "v" { default = [for a in range(65536) : [for b in range(65536) : b]] }`, "MaxElements"},
		{"nested for over a variable", `variable "l" { default = [for a in range(60000) : a] }
vlan "v" {
  for_each = toset(flatten([for a in var.l : [for b in var.l : "${a}-${b}"]]))
  link = nic.n
  id = 1
}
nic "n" { mac = "52:54:00:00:00:01" }`, "MaxElements"},
		{"formatlist", `variable "v" { default = formatlist("%s-%s", replace(format("%1000s", "x"), " ", format("%1000s", "y")), range(60000)) }`, "MaxStringBytes"},
		{"format width", `variable "v" { default = format("%01000000000d", 1) }`, "MaxStringBytes"},
		{"join of a repeated string", `variable "v" { default = join("", [for i in range(60000) : replace(format("%1000s", "x"), " ", format("%1000s", "y"))]) }`, "MaxStringBytes"},
		{"template of a repeated string", `variable "v" { default = [for i in range(60000) : "${replace(format("%1000s", "x"), " ", format("%1000s", "y"))}${replace(format("%1000s", "x"), " ", format("%1000s", "y"))}"] }`, "MaxStringBytes"},
		{"replace", `variable "v" { default = replace(replace(format("%1000s", "x"), " ", format("%1000s", "y")), "y", replace(format("%1000s", "x"), " ", format("%1000s", "y"))) }`, "MaxStringBytes"},
		{"concat of one list many times", `variable "v" { default = concat(` + strings.TrimSuffix(strings.Repeat("range(65536), ", 40), ", ") + `) }`, "MaxElements"},
		{"small function over a large list in a large loop", `variable "l" { default = range(30000) }
nic "n" { mac = "52:54:00:00:00:01" }
vlan "v" {
  for_each = toset([for i in range(40000) : length(var.l) + i])
  link = nic.n
  id = 1
}`, "MaxWork"},
		{"huge number literal", `nic "n" {
  mac = "52:54:00:00:00:01"
  name = 1e600000000
}`, "MaxNumberBits"},
		{"huge number from a string", `nic "n" {
  mac = "52:54:00:00:00:01"
  name = tonumber("1e600000000")
}`, "MaxNumberBits"},
		{"huge number by arithmetic", `nic "n" {
  mac = "52:54:00:00:00:01"
  name = "1e600000000" * 1
}`, "MaxNumberBits"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var diags hcl.Diagnostics
			alloc := allocated(func() {
				_, diags = plan.Decode([]plan.Input{{Name: "p.hcl", Bytes: []byte(c.src)}}, nil, nil)
			})
			if !diags.HasErrors() {
				t.Fatalf("no error")
			}
			if !strings.Contains(diags.Error(), c.want) {
				t.Fatalf("no diagnostic names %s: %v", c.want, diags)
			}
			if alloc > maxAlloc {
				t.Fatalf("decoding allocated %d MiB", alloc>>20)
			}
		})
	}
}

func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestLimitsNearMiss: what a real plan does stays well inside the limits.
func TestLimitsNearMiss(t *testing.T) {
	src := `nic "n" { mac = "52:54:00:00:00:01" }
variable "ids" { default = [for i in range(1, 4095) : i] }
vlan "v" {
  for_each = toset(var.ids)
  link = nic.n
  id = each.value
  name = format("v%04d", each.value)
}
bridge "b" {
  for_each = vlan.v
  name = "br${each.key}"
  ports = [each.value]
  mtu = 1e3 * 1.5
}`
	p, diags := plan.Decode([]plan.Input{{Name: "p.hcl", Bytes: []byte(src)}}, nil, nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if len(p.VLANs) != 4094 || len(p.Bridges) != 4094 || p.Bridges[0].MTU != 1500 {
		t.Fatalf("got %d VLANs, %d bridges", len(p.VLANs), len(p.Bridges))
	}
}

// TestPlanFileKinds: only regular files are read, up to MaxFileBytes.
func TestPlanFileKinds(t *testing.T) {
	dir := t.TempDir()
	zero := filepath.Join(dir, "zero.hcl")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.hcl")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.hcl")
	if err := os.WriteFile(big, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, plan.MaxFileBytes+1); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, want string }{
		{zero, "not a regular file"},
		{fifo, "not a regular file"},
		{big, "limit of 32 MiB"},
	} {
		var diags hcl.Diagnostics
		alloc := allocated(func() { _, _, diags = plan.LoadWithFiles(c.path, plan.LoadOptions{}) })
		if !strings.Contains(diags.Error(), c.want) {
			t.Errorf("%s: want %q, got %v", c.path, c.want, diags)
		}
		if alloc > maxAlloc {
			t.Errorf("%s: allocated %d MiB", c.path, alloc>>20)
		}
	}
	_, _, diags := plan.LoadWithFiles(big, plan.LoadOptions{VarFiles: []string{zero}})
	if !diags.HasErrors() {
		t.Error("a variables file linked to /dev/zero was read")
	}
}

// TestRandomBytes: random input gives at most MaxDiagnostics (+1) diagnostics, and neither
// their text nor the source lines printed with them carry control characters or invalid UTF-8.
func TestRandomBytes(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 20; i++ {
		b := make([]byte, 20000)
		r.Read(b)
		_, files, diags := plan.DecodeWithFiles([]plan.Input{{Name: "r.hcl", Bytes: b}}, nil, nil)
		if len(diags) > plan.MaxDiagnostics+1 {
			t.Fatalf("%d diagnostics", len(diags))
		}
		var out strings.Builder
		if err := diag.WriteText(&out, files, diags, 100); err != nil {
			t.Fatal(err)
		}
		for _, c := range out.String() {
			if c == '\uFFFD' || (c < 0x20 && c != '\n') || c == 0x7f {
				t.Fatalf("the printed diagnostics echo a raw byte (%U)", c)
			}
		}
		if out.Len() > 400*(plan.MaxDiagnostics+1)*8 {
			t.Fatalf("%d bytes of diagnostics", out.Len())
		}
		for _, d := range diags {
			for _, s := range []string{d.Summary, d.Detail} {
				for _, c := range s {
					if c == '\uFFFD' || (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f {
						t.Fatalf("diagnostic echoes a raw byte: %q", s)
					}
				}
			}
		}
	}
}

// TestEmptyListElement: an empty element of a list written as a string is an error, not
// silently dropped; the near miss (spaces after commas) is fine.
func TestEmptyListElement(t *testing.T) {
	for _, c := range []struct {
		value string
		bad   bool
	}{
		{`"198.51.100.1,,198.51.100.2"`, true},
		{`"198.51.100.1,"`, true},
		{`["198.51.100.1", ""]`, true},
		{`"198.51.100.1, 198.51.100.2"`, false},
	} {
		src := `nic "n" { mac = "52:54:00:00:00:01" }
bond "b" {
  slaves        = [nic.n]
  mode          = "active-backup"
  arp_interval  = 100
  arp_ip_target = ` + c.value + `
}`
		p, diags := plan.Decode([]plan.Input{{Name: "p.hcl", Bytes: []byte(src)}}, nil, nil)
		if c.bad != strings.Contains(diags.Error(), "Empty list element") {
			t.Errorf("%s: %v", c.value, diags)
		}
		if !c.bad && (p == nil || len(p.Bonds) != 1) {
			t.Errorf("%s: no bond decoded", c.value)
		}
	}
}
