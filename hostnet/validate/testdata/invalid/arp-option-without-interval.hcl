# expect: error 11 "ARP option without arp_interval"
# expect: error 12 "ARP option without arp_interval"
# expect: error 13 "ARP option without arp_interval"
# ARP monitor settings on a bond monitored with miimon: stored and ignored.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves          = [nic.uplink0, nic.uplink1]
  mode            = "active-backup"
  miimon          = 100
  arp_all_targets = "all"
  arp_missed_max  = 3
  arp_ip_target   = ["198.51.100.1"]
}
