# expect: error 18 "Duplicate interface name"
# expect: error 20 "Duplicate interface name"
# br101 from for_each collides with a bridge of that name; a renamed NIC collides with a bond.
nic "uplink0" {
  mac  = "52:54:00:00:00:01"
  name = "bond0"
}
vlan "tenant" {
  for_each = range(100, 103)
  link     = nic.uplink0
  id       = each.value
}
bridge "tenant" {
  for_each = vlan.tenant
  name     = "br${each.key}"
  ports    = [each.value]
}
bridge "br101" {}
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves = [nic.uplink1]
  mode   = "active-backup"
  miimon = 100
}
