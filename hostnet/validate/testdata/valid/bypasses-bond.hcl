# The VLAN and the route go through the bond; a NIC outside the bond may carry its own.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
nic "mgmt" {
  mac       = "52:54:00:00:00:03"
  addresses = ["203.0.113.10/28"]
}
bond "bond0" {
  slaves    = [nic.uplink0, nic.uplink1]
  mode      = "active-backup"
  miimon    = 100
  addresses = ["198.51.100.10/24"]
}
vlan "v" {
  link = bond.bond0
  id   = 100
}
vlan "m" {
  link = nic.mgmt
  id   = 5
  name = "mgmt.5"
}
route "r" {
  to  = "203.0.113.64/26"
  via = "198.51.100.1"
  dev = bond.bond0
}
