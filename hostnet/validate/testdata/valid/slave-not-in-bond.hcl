# primary and active_slave name slaves of the bond.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves           = [nic.uplink0, nic.uplink1]
  mode             = "balance-tlb"
  miimon           = 100
  primary          = nic.uplink0
  active_slave     = nic.uplink1
  primary_reselect = "failure"
}
