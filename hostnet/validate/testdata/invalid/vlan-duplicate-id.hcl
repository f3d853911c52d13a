# expect: error 12 "Duplicate VLAN id on one link"
# expect: error 16 "Duplicate VLAN id on one link"
# Two VLAN devices for VLAN 100 on uplink0 (different names): EEXIST.
nic "uplink0" { mac = "52:54:00:00:00:01" }
vlan "a" {
  link = nic.uplink0
  id   = 100
}
vlan "b" {
  link = nic.uplink0
  name = "storage"
  id   = 100
}
vlan "c" {
  link = nic.uplink0
  id   = 100
}
