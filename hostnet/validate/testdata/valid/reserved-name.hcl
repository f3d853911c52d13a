# Close to reserved names but not them; "config" is reserved only for VLANs.
bridge "all0" {}
bridge "config" {}
nic "uplink0" { mac = "52:54:00:00:00:01" }
bond "b" {
  slaves = [nic.uplink0]
  mode   = "active-backup"
  miimon = 100
  name   = "bonding"
}
vlan "cfg" {
  link = bond.b
  id   = 10
  name = "configs"
}
