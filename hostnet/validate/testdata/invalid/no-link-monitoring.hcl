# expect: error 6 "Bond has no link monitoring"
# expect: error 14 "Bond has no link monitoring"
# balance-rr with neither miimon nor arp_interval; 802.3ad with miimon = 0 written.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves = [nic.uplink0, nic.uplink1]
  mode   = "balance-xor"
}
nic "uplink2" { mac = "52:54:00:00:00:03" }
nic "uplink3" { mac = "52:54:00:00:00:04" }
bond "bond1" {
  slaves = [nic.uplink2, nic.uplink3]
  miimon = 0
  mode   = 4
}
