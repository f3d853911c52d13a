# expect: error 4 "Invalid address"
# expect: error 10 "Invalid IP address"
bridge "br0" {
  addresses = ["198.51.100.10"]
}
nic "uplink0" { mac = "52:54:00:00:00:01" }
bond "bond0" {
  slaves        = [nic.uplink0]
  mode          = "active-backup"
  arp_ip_target = ["198.51.100.300"]
}
