# arp_all_targets with ARP validation in active-backup: every target must answer.
nic "uplink0" { mac = "52:54:00:00:00:01" }
bond "bond0" {
  slaves          = [nic.uplink0]
  mode            = "active-backup"
  arp_interval    = 100
  arp_ip_target   = ["198.51.100.1", "198.51.100.2"]
  arp_validate    = "all"
  arp_all_targets = "all"
}
