# expect: error 6 "VLAN id out of range"
# expect: error 10 "VLAN id out of range"
# 0 is priority tagging, 4095 reserved.
nic "uplink0" { mac = "52:54:00:00:00:01" }
vlan "v0" {
  id   = 0
  link = nic.uplink0
}
vlan "v4095" {
  id   = 4095
  link = nic.uplink0
}
