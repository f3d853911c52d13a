# expect: error 14 "Traffic on a bond slave bypasses the bond"
# expect: error 21 "Traffic on a bond slave bypasses the bond"
# expect: error 20 "Route gateway not reachable"
# A VLAN and a route on a NIC that is a bond slave.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves    = [nic.uplink0, nic.uplink1]
  mode      = "active-backup"
  miimon    = 100
  addresses = ["198.51.100.10/24"]
}
vlan "v" {
  link = nic.uplink0
  id   = 100
  name = "u0.100"
}
route "r" {
  to  = "203.0.113.0/24"
  via = "198.51.100.1"
  dev = nic.uplink1
}
