# The bond is the bridge port; another NIC, no slave, is a port too.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
nic "uplink2" { mac = "52:54:00:00:00:03" }
bond "bond0" {
  slaves = [nic.uplink0, nic.uplink1]
  mode   = "active-backup"
  miimon = 100
}
bridge "br0" {
  ports = [bond.bond0, nic.uplink2]
}
