# ARP monitoring with miimon = 0 written explicitly.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves        = [nic.uplink0, nic.uplink1]
  mode          = "active-backup"
  miimon        = 0
  arp_interval  = 200
  arp_validate  = "active"
  arp_ip_target = ["198.51.100.1"]
}
