# expect: error 16 "MTU above the lower device's MTU"
# expect: error 21 "MTU above the lower device's MTU"
# expect: error 25 "MTU above the lower device's MTU"
# bond0 has no mtu (1500); a VLAN and bridges above it ask for more; a libvirt network too.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves = [nic.uplink0, nic.uplink1]
  mode   = "active-backup"
  miimon = 100
}
vlan "tenant" {
  for_each = range(100, 110)
  link     = bond.bond0
  id       = each.value
  mtu      = 9000
}
bridge "br0" {
  ports = [bond.bond0]
  addresses = ["198.51.100.10/24"]
  mtu   = 1600
}
libvirt_network "default" {
  bridge = bridge.br0
  mtu    = 9000
}
