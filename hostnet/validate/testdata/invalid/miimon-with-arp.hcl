# expect: error 11 "MII and ARP monitoring together"
# expect: error 13 "MII and ARP monitoring together"
# miimon and arp_interval (or arp_validate) together: EINVAL in one netlink message.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves        = [nic.uplink0, nic.uplink1]
  mode          = "active-backup"
  miimon        = 100
  arp_ip_target = ["198.51.100.1"]
  arp_interval  = 200
  # both rules fire on one bond: arp_validate also conflicts with miimon
  arp_validate  = "active"
}
