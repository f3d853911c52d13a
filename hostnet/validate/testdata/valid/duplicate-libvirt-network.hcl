# One libvirt network per VLAN bridge, named after the bridge.
nic "uplink0" { mac = "52:54:00:00:00:01" }
vlan "tenant" {
  for_each = range(100, 104)
  link     = nic.uplink0
  id       = each.value
}
bridge "tenant" {
  for_each = vlan.tenant
  name     = "br${each.key}"
  ports    = [each.value]
}
libvirt_network "tenant" {
  for_each = bridge.tenant
  name     = "net${each.key}"
  bridge   = each.value
}
libvirt_network "default" {
  bridge = bridge.tenant["100"]
}
