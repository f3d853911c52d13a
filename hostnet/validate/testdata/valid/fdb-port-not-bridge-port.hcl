# Static FDB entries on ports of their own bridge: a bond port and a VLAN port.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves = [nic.uplink0, nic.uplink1]
  mode   = "active-backup"
  miimon = 100
}
bridge "br0" {
  ports = [bond.bond0]
  fdb {
    mac  = "52:54:00:aa:00:01"
    port = bond.bond0
  }
}
vlan "v100" {
  link = bond.bond0
  id   = 100
}
bridge "br100" {
  ports = [vlan.v100]
  fdb {
    mac    = "52:54:00:aa:00:01"
    port   = vlan.v100
    sticky = false
  }
}
