# expect: error 15 "No path to arp_ip_target through the bond"
# ARP monitoring of a bond under br0: 198.51.100.1 is on-link through br0 (fine), but
# 203.0.113.1 is on-link through another NIC: the kernel skips it ("no path to
# arp_ip_target").
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
nic "mgmt" {
  mac       = "52:54:00:00:00:09"
  addresses = ["203.0.113.10/24"]
}
bond "bond0" {
  slaves        = [nic.uplink0, nic.uplink1]
  mode          = "active-backup"
  arp_interval  = 200
  arp_ip_target = ["198.51.100.1", "203.0.113.1"]
}
bridge "br0" {
  ports     = [bond.bond0]
  addresses = ["198.51.100.10/24"]
  gateway   = "198.51.100.1"
}
