# expect: error 13 "Invalid interface name"
# expect: error 15 "Invalid interface name"
# expect: error 28 "Invalid interface name"
# expect: error 32 "Invalid interface name"
# expect: error 35 "Invalid interface name"
# expect: error 38 "Invalid interface name"
# expect: error 41 "Invalid interface name"
# Longer than 15 bytes (also as the default VLAN name), '/', ':', whitespace, '%', and
# bytes the kernel's isspace() counts as space: vertical tab, and 0xA0 inside UTF-8 ('à' is c3 a0);
# a control character.
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
bridge "br2" {
  name = "br\u000b2"
}
bridge "br3" {
  name = "brà"
}
bridge "ctl" {
  name = "br\u0007x"
}
