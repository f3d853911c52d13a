# Imported by `hostnet import nmstate` from:
#   nmstate/lacp-bridge-vlans.yml
# 1 setting(s) could not be carried over: listed at the end of this file.

# inferred: an 802.3ad bond is configured, so the switch ports answer LACP
switch {
  lacp = true
}

# from nmstate/lacp-bridge-vlans.yml:3, nmstate/lacp-bridge-vlans.yml:21
nic "ens1" {
  mac = "52:54:00:14:00:01"
}

# from nmstate/lacp-bridge-vlans.yml:7, nmstate/lacp-bridge-vlans.yml:21
nic "ens2" {
  mac = "52:54:00:14:00:02"
}

# from nmstate/lacp-bridge-vlans.yml:11, nmstate/lacp-bridge-vlans.yml:38, nmstate/lacp-bridge-vlans.yml:43
bond "bond0" {
  slaves           = [nic.ens1, nic.ens2]
  mode             = "802.3ad"
  miimon           = 100
  lacp_rate        = "fast"
  xmit_hash_policy = "layer3+4"
  mtu              = 9000
}

# from nmstate/lacp-bridge-vlans.yml:39, nmstate/lacp-bridge-vlans.yml:54
vlan "bond0_100" {
  link = bond.bond0
  id   = 100
}

# from nmstate/lacp-bridge-vlans.yml:24
bridge "br-ex" {
  ports     = [bond.bond0]
  stp       = false
  addresses = ["198.51.100.70/24"]
  gateway   = "198.51.100.1"
}

# from nmstate/lacp-bridge-vlans.yml:45
bridge "br100" {
  ports       = [vlan.bond0_100]
  stp         = false
  ageing_time = 600
}

# from nmstate/lacp-bridge-vlans.yml:60
route "to_203_0_113_0_24" {
  to     = "203.0.113.0/24"
  via    = "198.51.100.254"
  dev    = bridge.br-ex
  metric = 150
}

# Not carried over (the import's diagnostics):
#   nmstate/lacp-bridge-vlans.yml:64: warning: dns-resolver: not carried over (a plan has interfaces and routes)
