# 802.3ad without miimon: the kernel sets miimon = 100 for this mode.
# balance-xor monitored by ARP instead of MII.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves = [nic.uplink0, nic.uplink1]
  mode   = "802.3ad"
}
nic "uplink2" { mac = "52:54:00:00:00:03" }
nic "uplink3" { mac = "52:54:00:00:00:04" }
bond "bond1" {
  slaves        = [nic.uplink2, nic.uplink3]
  mode          = "balance-xor"
  arp_interval  = 100
  arp_ip_target = ["203.0.113.1"]
}
