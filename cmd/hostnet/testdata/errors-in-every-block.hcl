variable "mtu" { type = number }
nic "a" {
  mac = "52:54:00:00:00:01"
  speed = 10
}
nic "b" { mac = "52:54:00:00:00:02" }
nic "c" { mac = "zz" }
bond "bond0" {
  slaves       = [nic.a, nic.b]
  mode         = "802.3ad"
  arp_interval = 100
}
bond "bond1" {
  slaves = [nic.x]
  mode   = "bogus"
}
vlan "v" {
  link = bond.bond0
  id   = 5000
}
bridge "br0" {
  ports     = [vlan.v, bond.nope]
  addresses = ["198.51.100.10/33"]
  mtu = var.mtu
}
route "r" {
  to = "default"
  via = "not-an-ip"
}
