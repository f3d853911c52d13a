# expect: error 12 "arp_all_targets has no effect"
# expect: error 21 "arp_all_targets has no effect"
# arp_all_targets without ARP validation (active-backup) and in balance-xor: stored, ignored.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
nic "uplink2" { mac = "52:54:00:00:00:03" }
bond "bond0" {
  slaves          = [nic.uplink0]
  mode            = "active-backup"
  arp_interval    = 100
  arp_ip_target   = ["198.51.100.1"]
  arp_all_targets = "all"
}
switch { static_lag = true }
bond "bond1" {
  slaves          = [nic.uplink1, nic.uplink2]
  mode            = "balance-xor"
  arp_interval    = 100
  arp_ip_target   = ["198.51.100.1"]
  arp_validate    = "all"
  arp_all_targets = "all"
}
