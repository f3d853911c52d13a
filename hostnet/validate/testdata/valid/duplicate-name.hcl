# A NIC labelled bond0 but not renamed keeps its kernel name, so bond "bond0" does not collide;
# 802.1Q and 802.1ad VLAN 100 on one link with distinct names; for_each names all distinct.
nic "bond0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves = [nic.uplink1]
  mode   = "active-backup"
  miimon = 100
}
vlan "c" {
  link = bond.bond0
  id   = 100
}
vlan "s" {
  link     = bond.bond0
  id       = 100
  protocol = "802.1ad"
  name     = "bond0.s100"
}
vlan "tenant" {
  for_each = range(200, 203)
  link     = bond.bond0
  id       = each.value
}
bridge "tenant" {
  for_each = vlan.tenant
  name     = "br${each.key}"
  ports    = [each.value]
}
