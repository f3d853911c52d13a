# expect: error 6 "Value out of range"
# arp_missed_max is 1..255.
nic "uplink0" { mac = "52:54:00:00:00:01" }
bond "bond0" {
  slaves         = [nic.uplink0]
  arp_missed_max = 0
}
