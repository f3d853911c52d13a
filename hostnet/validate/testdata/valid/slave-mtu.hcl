# The slave's MTU equals the bond's.
nic "uplink0" {
  mac = "52:54:00:00:00:01"
  mtu = 9000
}
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves = [nic.uplink0, nic.uplink1]
  mode   = "active-backup"
  miimon = 100
  mtu    = 9000
}
