# fail_over_mac = follow under a bridge with an explicit bridge MAC.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves        = [nic.uplink0, nic.uplink1]
  mode          = "active-backup"
  miimon        = 100
  fail_over_mac = "follow"
}
bridge "br0" {
  ports = [bond.bond0]
  mac   = "52:54:00:00:00:01"
}
