# expect: error 12 "Option not valid for mode"
# expect: error 13 "Option not valid for mode"
# expect: error 21 "Option not valid for mode"
# expect: error 22 "Option not valid for mode"
# expect: error 23 "Option not valid for mode"
# Options the bond sets outside the modes they apply to: refused (EACCES) or ignored.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves            = [nic.uplink0, nic.uplink1]
  mode              = "802.3ad"
  arp_interval      = 0 # EACCES even for 0
  packets_per_slave = 2
  miimon            = 100
}
nic "uplink2" { mac = "52:54:00:00:00:03" }
nic "uplink3" { mac = "52:54:00:00:00:04" }
bond "bond1" {
  slaves         = [nic.uplink2, nic.uplink3]
  miimon         = 100
  primary        = nic.uplink2 # mode defaults to balance-rr
  tlb_dynamic_lb = 0
  lacp_rate      = "fast"
}
