# QinQ the right way round: the 802.1Q (customer) VLAN on the 802.1ad (service) VLAN.
nic "uplink0" { mac = "52:54:00:00:00:01" }
vlan "s" {
  link     = nic.uplink0
  id       = 200
  protocol = "802.1ad"
  name     = "s200"
}
vlan "c" {
  link     = vlan.s
  id       = 100
  protocol = "802.1Q"
  name     = "c100"
}
