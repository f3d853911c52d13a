# Learning off on the bond port of an active-backup bond: nothing to mitigate, no warning.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves = [nic.uplink0, nic.uplink1]
  mode   = "active-backup"
  miimon = 100
}
bridge "br0" {
  ports = [bond.bond0]
  port {
    link     = bond.bond0
    learning = false
  }
}
