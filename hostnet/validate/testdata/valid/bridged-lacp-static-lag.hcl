# 802.3ad under VLAN bridges with LACP on the switch (lab, Linux 6.1: passes).
switch {
  lacp = true
}
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves           = [nic.uplink0, nic.uplink1]
  mode             = "802.3ad"
  lacp_rate        = "fast"
  xmit_hash_policy = "layer3+4"
}
vlan "v100" {
  link = bond.bond0
  id   = 100
}
bridge "br100" {
  ports = [vlan.v100]
}
