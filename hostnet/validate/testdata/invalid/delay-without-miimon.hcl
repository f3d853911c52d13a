# expect: error 12 "Delay needs miimon"
# expect: error 13 "Delay needs miimon"
# updelay/downdelay need the MII monitor: EPERM with ARP monitoring (miimon 0).
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves        = [nic.uplink0, nic.uplink1]
  mode          = "active-backup"
  arp_interval  = 100
  arp_ip_target = ["198.51.100.1"]
  primary       = nic.uplink0
  updelay       = 0
  downdelay     = 200
}
