# Addresses on the bridge above the bond, and on a VLAN of the bond that no bridge uses.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves = [nic.uplink0, nic.uplink1]
  mode   = "active-backup"
  miimon = 100
}
bridge "br0" {
  ports     = [bond.bond0]
  addresses = ["198.51.100.10/24"]
  gateway   = "198.51.100.1"
}
vlan "storage" {
  link      = bond.bond0
  id        = 300
  addresses = ["203.0.113.10/24"]
}
