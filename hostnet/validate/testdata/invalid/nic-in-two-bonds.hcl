# expect: error 13 "NIC enslaved more than once"
# expect: error 20 "NIC enslaved more than once"
# uplink1 in two bonds; uplink2 twice in one bond.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
nic "uplink2" { mac = "52:54:00:00:00:03" }
bond "bond0" {
  slaves = [nic.uplink0, nic.uplink1]
  mode   = "active-backup"
  miimon = 100
}
bond "bond1" {
  slaves = [nic.uplink1]
  mode   = "active-backup"
  miimon = 100
}
bond "bond2" {
  mode   = "active-backup"
  miimon = 100
  slaves = [nic.uplink2, nic.uplink2]
}
