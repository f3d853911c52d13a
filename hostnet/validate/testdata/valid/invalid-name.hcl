# 15 bytes is the longest name; dots, dashes and underscores are fine, and so is UTF-8
# without the byte 0xA0 ('é' is c3 a9).
nic "uplink0" {
  mac  = "52:54:00:00:00:01"
  name = "uplink-0_a.b"
}
bond "hypervisor-up15" {
  slaves = [nic.uplink0]
  mode   = "active-backup"
  miimon = 100
}
vlan "v" {
  link = bond.hypervisor-up15
  id   = 100
  name = "hv.100"
}
bridge "br3" {
  name = "bré"
}
