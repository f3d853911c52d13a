# expect: error 10 "Invalid index"
# A reference into a for_each block with no instances is an error, not a silently dropped port.
nic "uplink0" { mac = "52:54:00:00:00:01" }
vlan "tenant" {
  for_each = []
  link     = nic.uplink0
  id       = each.value
}
bridge "br0" {
  ports = [vlan.tenant["100"]]
}
