# Jumbo frames all the way up: bond 9000, VLAN 9000, bridges 9000, libvirt network 9000.
# A VLAN on a NIC whose MTU the plan leaves alone is not checked (unknown until apply).
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves = [nic.uplink0, nic.uplink1]
  mode   = "active-backup"
  miimon = 100
  mtu    = 9000
}
vlan "tenant" {
  for_each = range(100, 110)
  link     = bond.bond0
  id       = each.value
  mtu      = 9000
}
bridge "tenant" {
  for_each = vlan.tenant
  name     = "br${each.key}"
  ports    = [each.value]
  mtu      = 9000
}
bridge "br0" {
  ports = [bond.bond0]
}
libvirt_network "jumbo" {
  bridge = bridge.br0
  mtu    = 9000
}
nic "uplink2" { mac = "52:54:00:00:00:03" }
vlan "v5" {
  link = nic.uplink2
  id   = 5
  mtu  = 9000
}
