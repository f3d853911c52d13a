# expect: error 11 "Bond slave is also a bridge port"
# uplink1 is enslaved to bond0 and added to br0 directly.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves = [nic.uplink0, nic.uplink1]
  mode   = "active-backup"
  miimon = 100
}
bridge "br0" {
  ports = [bond.bond0, nic.uplink1]
}
