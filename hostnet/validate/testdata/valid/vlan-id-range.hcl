# The first and the last usable VLAN ids.
nic "uplink0" { mac = "52:54:00:00:00:01" }
vlan "v1" {
  id   = 1
  link = nic.uplink0
}
vlan "v4094" {
  id   = 4094
  link = nic.uplink0
}
