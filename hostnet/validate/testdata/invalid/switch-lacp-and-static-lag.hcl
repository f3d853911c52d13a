# expect: error 3 "Switch ports cannot be LACP and static LAG"
# A port group is LACP or static, not both.
switch {
  lacp       = true
  static_lag = true
}
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves = [nic.uplink0, nic.uplink1]
  mode   = "802.3ad"
}
bridge "br0" {
  ports = [bond.bond0]
}
