# expect: error 9 "Invalid interface name"
# expect: error 11 "Invalid interface name"
# expect: error 24 "Invalid interface name"
# expect: error 28 "Invalid interface name"
# expect: error 31 "Invalid interface name"
# Longer than 15 bytes (also as the default VLAN name), '/', ':', whitespace, '%', a control character.
nic "uplink0" {
  mac  = "52:54:00:00:00:01"
  name = "uplink0/a"
}
bond "hypervisor-uplink" {
  slaves = [nic.uplink0]
  mode   = "active-backup"
  miimon = 100
}
bond "b1" {
  slaves = [nic.uplink1]
  mode   = "active-backup"
  miimon = 100
}
vlan "v" {
  link = bond.b1
  id   = 100
  name = "b1:100"
}
nic "uplink1" { mac = "52:54:00:00:00:02" }
bridge "br" {
  name = "br %d"
}
bridge "ctl" {
  name = "br\u0007x"
}
