# expect: warning 10 "No on-link route to arp_ip_target"
# 203.0.113.1 has no on-link route in the plan (br0 has no address there and the gateway
# route does not count): the kernel probes it untagged from 0.0.0.0.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
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
