# expect: error 9 "ARP monitoring without targets"
# ARP monitoring with nothing to probe takes every slave down.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves       = [nic.uplink0, nic.uplink1]
  mode         = "active-backup"
  miimon       = 0
  arp_interval = 500
}
