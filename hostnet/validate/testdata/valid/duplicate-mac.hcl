# Distinct NIC MACs; a bond or bridge MAC may repeat a NIC's (bonds take a slave's MAC anyway).
nic "uplink0" { mac = "52:54:00:ab:00:01" }
nic "uplink1" { mac = "52:54:00:ab:00:02" }
bond "bond0" {
  slaves = [nic.uplink0, nic.uplink1]
  mode   = "active-backup"
  miimon = 100
  mac    = "52:54:00:ab:00:01"
}
bridge "br0" {
  ports = [bond.bond0]
  mac   = "52:54:00:ab:00:01"
}
