# expect: error 11 "Duplicate ARP/NS target"
# expect: error 11 "Duplicate ARP/NS target"
# The kernel refuses a target that is already in the list (EINVAL). Two findings, one line.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves        = [nic.uplink0, nic.uplink1]
  mode          = "active-backup"
  miimon        = 0
  arp_interval  = 500
  arp_ip_target = ["198.51.100.1", "203.0.113.1", "198.51.100.1", "203.0.113.1"]
}
