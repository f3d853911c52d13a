# VLAN 100 on two links, and as 802.1Q and 802.1ad on one link.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
vlan "a" {
  link = nic.uplink0
  id   = 100
}
vlan "b" {
  link = nic.uplink1
  id   = 100
}
vlan "q" {
  link     = nic.uplink0
  id       = 100
  protocol = "802.1ad"
  name     = "uplink0.q100"
}
