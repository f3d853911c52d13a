# The plan of PRODUCT.md: 802.3ad with LACP, br0 with the host address, 500 VLANs each with
# a bridge and a libvirt network.
host { name = "hv1" }

switch {
  lacp       = true
  static_lag = false
}

nic "uplink0" { mac = "52:54:00:45:0c:20" }
nic "uplink1" { mac = "52:54:00:45:0c:21" }

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
  stp       = false
  addresses = ["198.51.100.10/24"]
  gateway   = "198.51.100.1"
}

vlan "tenant" {
  for_each = range(100, 600)
  link     = bond.bond0
  id       = each.value
}

bridge "tenant" {
  for_each = vlan.tenant
  name     = "br${each.key}"
  ports    = [each.value]
}

libvirt_network "tenant" {
  for_each  = bridge.tenant
  bridge    = each.value
  autostart = true
}
