# expect: error 11 "Not a slave of this bond"
# expect: error 12 "Not a slave of this bond"
# primary / active_slave name a NIC that is not a slave of this bond.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
nic "uplink2" { mac = "52:54:00:00:00:03" }
bond "bond0" {
  slaves       = [nic.uplink0, nic.uplink1]
  mode         = "active-backup"
  miimon       = 100
  primary      = nic.uplink2
  active_slave = nic.uplink2
}
