# all_slaves_active = 0 under a bridge; = 1 on a bond no bridge is on.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves            = [nic.uplink0, nic.uplink1]
  mode              = "active-backup"
  miimon            = 100
  all_slaves_active = 0
}
bridge "br0" {
  ports = [bond.bond0]
}
nic "uplink2" { mac = "52:54:00:00:00:03" }
nic "uplink3" { mac = "52:54:00:00:00:04" }
bond "bond1" {
  slaves            = [nic.uplink2, nic.uplink3]
  mode              = "active-backup"
  miimon            = 100
  all_slaves_active = 1
}
