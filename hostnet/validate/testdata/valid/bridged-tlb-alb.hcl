# balance-alb for the host's own traffic: addresses on the bond and on a VLAN directly above it.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves    = [nic.uplink0, nic.uplink1]
  mode      = "balance-alb"
  miimon    = 100
  addresses = ["198.51.100.10/24"]
}
vlan "storage" {
  link      = bond.bond0
  id        = 300
  addresses = ["203.0.113.10/24"]
}
