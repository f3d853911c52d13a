# expect: error 10 "Unusable ARP/NS target"
# expect: error 11 "Unusable ARP/NS target"
# 0.0.0.0/8 and broadcast as ARP targets, multicast as NS target: EINVAL.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves        = [nic.uplink0, nic.uplink1]
  mode          = "active-backup"
  arp_interval  = 500
  arp_ip_target = ["0.0.0.0", "198.51.100.1"]
  ns_ip6_target = ["ff02::1"]
}
