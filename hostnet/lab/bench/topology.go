package bench

import (
	"fmt"
	"net"
	"strings"

	"github.com/hostnet/hostnet/hostnet/lab/topo"
)

// The benchmark topology: bond0 (active-backup, miimon 100) over two NICs, br0 on bond0 with
// an address and a default route, and N VLANs on bond0, each in a bridge of its own. The same
// topology is written three ways: a hostnet plan (HCL), an `ip -batch` file and an ifupdown2
// interfaces file.

// The NICs' MACs, labels and kernel names inside the lab (topo builds them as veths into a
// switch namespace and names them as udev would, never after the label: the plan finds
// them by MAC, the ip and ifupdown2 files name them as the kernel does).
var (
	nic0MAC = net.HardwareAddr{0x52, 0x54, 0x00, 0x00, 0x0b, 0x01}
	nic1MAC = net.HardwareAddr{0x52, 0x54, 0x00, 0x00, 0x0b, 0x02}

	nic0, nic1 = topo.KernelNICName(0), topo.KernelNICName(1)
)

const (
	nic0Label, nic1Label = "uplink0", "uplink1"
	hostAddr             = "198.51.100.10/24"
	gateway              = "198.51.100.1"
	remoteCIDR           = "198.51.100.1/24"
)

// firstVLAN is the first VLAN id: 100 as in the examples, 1 when N VLANs from 100 would
// pass 4094.
func firstVLAN(n int) int {
	if 100+n-1 > 4094 {
		return 1
	}
	return 100
}

// Links is how many links the topology adds: bond0, br0 and two per VLAN.
func Links(n int) int { return 2 + 2*n }

// planHCL is the topology as a hostnet plan: for_each over range(), as a real plan would.
func planHCL(n int) string {
	f := firstVLAN(n)
	return fmt.Sprintf(`# hostnet bench: bond0 + br0 + %[1]d VLANs, each with its own bridge.
nic "uplink0" { mac = %[2]q }
nic "uplink1" { mac = %[3]q }

bond "bond0" {
  slaves = [nic.uplink0, nic.uplink1]
  mode   = "active-backup"
  miimon = 100
}

bridge "br0" {
  ports     = [bond.bond0]
  addresses = [%[4]q]
  gateway   = %[5]q
}

vlan "tenant" {
  for_each = range(%[6]d, %[7]d)
  link     = bond.bond0
  id       = each.value
}

bridge "tenant" {
  for_each = vlan.tenant
  name     = "br${each.key}"
  ports    = [each.value]
}
`, n, nic0MAC.String(), nic1MAC.String(), hostAddr, gateway, f, f+n)
}

// ipCreate is the topology as an `ip -batch` file, in the order an administrator would write
// it (the NICs down before they are enslaved).
func ipCreate(n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `link add bond0 type bond mode active-backup miimon 100
link set %[1]s down
link set %[1]s master bond0
link set %[2]s down
link set %[2]s master bond0
link add br0 type bridge
link set bond0 master br0
link set bond0 up
link set br0 up
addr add %[3]s dev br0
route add default via %[4]s dev br0
`, nic0, nic1, hostAddr, gateway)
	f := firstVLAN(n)
	for id := f; id < f+n; id++ {
		fmt.Fprintf(&b, "link add link bond0 name bond0.%[1]d type vlan id %[1]d\nlink add br%[1]d type bridge\n"+
			"link set bond0.%[1]d master br%[1]d\nlink set bond0.%[1]d up\nlink set br%[1]d up\n", id)
	}
	return b.String()
}

// ipDelete removes it again: every bridge and VLAN, then br0 and bond0 (which releases the
// NICs), then the NICs down as they were.
func ipDelete(n int) string {
	var b strings.Builder
	f := firstVLAN(n)
	for id := f; id < f+n; id++ {
		fmt.Fprintf(&b, "link del br%[1]d\nlink del bond0.%[1]d\n", id)
	}
	fmt.Fprintf(&b, "link del br0\nlink del bond0\nlink set %s down\nlink set %s down\n", nic0, nic1)
	return b.String()
}

// interfaces is the topology as an ifupdown2 /etc/network/interfaces file.
func interfaces(n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `auto bond0
iface bond0
    bond-slaves %s %s
    bond-mode active-backup
    bond-miimon 100

auto br0
iface br0
    bridge-ports bond0
    address %s
    gateway %s
`, nic0, nic1, hostAddr, gateway)
	f := firstVLAN(n)
	for id := f; id < f+n; id++ {
		fmt.Fprintf(&b, "\nauto bond0.%[1]d\niface bond0.%[1]d\n\nauto br%[1]d\niface br%[1]d\n    bridge-ports bond0.%[1]d\n", id)
	}
	return b.String()
}

// LayoutVLANAware is the other topology Bench measures: bond0 under one VLAN-aware bridge
// vmbr0 (vlan_filtering) with the address and default route, the N VLANs as VIDs of the bond
// port (Proxmox's bridge-vlan-aware with bridge-vids), instead of a VLAN device and a
// bridge per VLAN.
const LayoutVLANAware = "vlan-aware"

// vidRange is the N VLANs as a range ("100-109"; "1-4094" for 4094).
func vidRange(n int) string {
	f := firstVLAN(n)
	return fmt.Sprintf("%d-%d", f, f+n-1)
}

// linksOf is how many links a layout adds.
func linksOf(layout string, n int) int {
	if layout == LayoutVLANAware {
		return 2
	}
	return Links(n)
}

func planHCLVLANAware(n int) string {
	return fmt.Sprintf(`# hostnet bench: bond0 + vmbr0, a VLAN-aware bridge carrying %[1]d VLANs on bond0.
nic "uplink0" { mac = %[2]q }
nic "uplink1" { mac = %[3]q }

bond "bond0" {
  slaves = [nic.uplink0, nic.uplink1]
  mode   = "active-backup"
  miimon = 100
}

bridge "vmbr0" {
  ports          = [bond.bond0]
  vlan_filtering = true
  addresses      = [%[4]q]
  gateway        = %[5]q
  port {
    link = bond.bond0
    vids = [%[6]q]
  }
}
`, n, nic0MAC.String(), nic1MAC.String(), hostAddr, gateway, vidRange(n))
}

// ipCreateVLANAware is the `ip -batch` half; bridgeVLANAware the `bridge -batch` half (ip
// cannot set bridge VLANs).
func ipCreateVLANAware() string {
	return fmt.Sprintf(`link add bond0 type bond mode active-backup miimon 100
link set %[1]s down
link set %[1]s master bond0
link set %[2]s down
link set %[2]s master bond0
link add vmbr0 type bridge vlan_filtering 1
link set bond0 master vmbr0
link set bond0 up
link set vmbr0 up
addr add %[3]s dev vmbr0
route add default via %[4]s dev vmbr0
`, nic0, nic1, hostAddr, gateway)
}

func bridgeVLANAware(n int) string {
	return fmt.Sprintf("vlan add dev bond0 vid %s\n", vidRange(n))
}

func ipDeleteVLANAware() string {
	return fmt.Sprintf("link del vmbr0\nlink del bond0\nlink set %s down\nlink set %s down\n", nic0, nic1)
}

func interfacesVLANAware(n int) string {
	return fmt.Sprintf(`auto bond0
iface bond0
    bond-slaves %s %s
    bond-mode active-backup
    bond-miimon 100

auto vmbr0
iface vmbr0
    bridge-ports bond0
    bridge-vlan-aware yes
    bridge-vids %s
    address %s
    gateway %s
`, nic0, nic1, vidRange(n), hostAddr, gateway)
}
