# expect: warning 4 "Slave MTU differs from the bond's"
# The kernel sets a slave's MTU to the bond's.
nic "uplink0" {
  mtu = 9000
  mac = "52:54:00:00:00:01"
}
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves = [nic.uplink0, nic.uplink1]
  mode   = "active-backup"
  miimon = 100
  mtu    = 1500
}
