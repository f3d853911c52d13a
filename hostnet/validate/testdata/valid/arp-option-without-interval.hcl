# ARP monitor settings together with arp_interval.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves          = [nic.uplink0, nic.uplink1]
  mode            = "active-backup"
  arp_interval    = 200
  arp_ip_target   = ["198.51.100.1", "198.51.100.2"]
  arp_validate    = "filter_active"
  arp_all_targets = "all"
  arp_missed_max  = 3
}
