# expect: error 10 "Too many ARP/NS targets"
# 17 targets: the kernel keeps 16.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves        = [nic.uplink0, nic.uplink1]
  mode          = "active-backup"
  miimon        = 0
  arp_interval  = 500
  arp_ip_target = [for i in range(1, 18) : "198.51.100.${i}"]
}
