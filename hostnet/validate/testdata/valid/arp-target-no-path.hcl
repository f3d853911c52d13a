# ARP monitoring through the uppers of a bond: 198.51.100.1 is on-link through br0 (the bond's
# bridge), 203.0.113.1 through br100 on VLAN 100 of the bond (the probe is tagged), and
# 100.64.0.1 by an on-link route through br0.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves        = [nic.uplink0, nic.uplink1]
  mode          = "active-backup"
  arp_interval  = 200
  arp_ip_target = ["198.51.100.1", "203.0.113.1", "100.64.0.1"]
}
bridge "br0" {
  ports     = [bond.bond0]
  addresses = ["198.51.100.10/24"]
}
vlan "v100" {
  link = bond.bond0
  id   = 100
}
bridge "br100" {
  ports     = [vlan.v100]
  addresses = ["203.0.113.10/24"]
}
route "cgnat" {
  to  = "100.64.0.0/24"
  dev = bridge.br0
}
