# expect: error 9 "all_slaves_active under a bridge"
# Frames on the backup slave reach the bridge: duplicates and guest MACs moved to the bond.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves            = [nic.uplink0, nic.uplink1]
  mode              = "active-backup"
  miimon            = 100
  all_slaves_active = 1
}
bridge "br0" {
  ports = [bond.bond0]
}
