# expect: error 6 "Duplicate MAC address"
# expect: error 19 "Duplicate MAC address"
# Two NIC blocks would match the same device (MACs compare case-insensitively); two bonds
# with one MAC.
nic "uplink0" { mac = "52:54:00:ab:00:01" }
nic "uplink1" { mac = "52:54:00:AB:00:01" }
nic "uplink2" { mac = "52:54:00:ab:00:03" }
nic "uplink3" { mac = "52:54:00:ab:00:04" }
bond "bond0" {
  slaves = [nic.uplink2]
  mode   = "active-backup"
  miimon = 100
  mac    = "52:54:00:12:00:01"
}
bond "bond1" {
  slaves = [nic.uplink3]
  mode   = "active-backup"
  miimon = 100
  mac    = "52:54:00:12:00:01"
}
