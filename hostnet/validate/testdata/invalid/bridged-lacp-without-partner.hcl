# expect: warning 7 "802.3ad under a bridge without an LACP partner"
# 802.3ad under a bridge and no LACP on the switch: works on one link (lab: 20/20), no load sharing.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves    = [nic.uplink0, nic.uplink1]
  mode      = "802.3ad"
  lacp_rate = "fast"
}
bridge "br0" {
  ports = [bond.bond0]
}
