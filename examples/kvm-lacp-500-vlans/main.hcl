# A KVM host on an LACP (802.3ad) bond with 500 guest VLANs, each with its own bridge,
# from three blocks. The switch runs LACP on both ports (an MLAG pair works too).
# Per-host values come from a variables file:
#   hostnet validate --var-file examples/kvm-lacp-500-vlans/hv2.vars.hcl examples/kvm-lacp-500-vlans/

variable "address" {
  type    = string
  default = "198.51.100.70/24"
}

variable "first_vlan" {
  type    = number
  default = 100
}

variable "vlan_count" {
  type    = number
  default = 500
}

switch {
  lacp = true
}

nic "uplink0" { mac = "52:54:00:00:06:01" }
nic "uplink1" { mac = "52:54:00:00:06:02" }

bond "bond0" {
  slaves           = [nic.uplink0, nic.uplink1]
  mode             = "802.3ad"
  miimon           = 100
  lacp_rate        = "fast"
  xmit_hash_policy = "layer3+4"
  mtu              = 9000
}

bridge "br0" {
  ports     = [bond.bond0]
  mtu       = 9000
  addresses = [var.address]
  gateway   = "198.51.100.1"
}

vlan "tenant" {
  for_each = range(var.first_vlan, var.first_vlan + var.vlan_count)
  link     = bond.bond0
  id       = each.value
}

bridge "tenant" {
  for_each = vlan.tenant
  name     = "br${each.key}"
  ports    = [each.value]
}
