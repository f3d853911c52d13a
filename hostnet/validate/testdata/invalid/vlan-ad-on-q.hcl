# expect: error 14 "802.1ad VLAN stacked on an 802.1Q VLAN"
# An S-tag inside a C-tag: the reverse of QinQ.
nic "uplink0" { mac = "52:54:00:00:00:01" }
vlan "c" {
  link     = nic.uplink0
  id       = 100
  protocol = "802.1Q"
  name     = "c100"
}
vlan "s" {
  link     = vlan.c
  id       = 200
  name     = "s200"
  protocol = "802.1ad"
}
