# Imported by `hostnet import ifcfg` from:
#   ifcfg/rhel-lacp/ifcfg-eth0
#   ifcfg/rhel-lacp/ifcfg-eth1
#   ifcfg/rhel-lacp/ifcfg-bond0
#   ifcfg/rhel-lacp/ifcfg-br0
#   ifcfg/rhel-lacp/ifcfg-bond0.100
#   ifcfg/rhel-lacp/ifcfg-br100
# 1 setting(s) could not be carried over: listed at the end of this file.

# inferred: an 802.3ad bond is configured, so the switch ports answer LACP
switch {
  lacp = true
}

# from ifcfg/rhel-lacp/ifcfg-eth0:1
nic "eth0" {
  mac = "52:54:00:11:00:01"
}

# from ifcfg/rhel-lacp/ifcfg-eth1:1
nic "eth1" {
  mac = "52:54:00:11:00:02"
}

# from ifcfg/rhel-lacp/ifcfg-eth0:6, ifcfg/rhel-lacp/ifcfg-eth1:6, ifcfg/rhel-lacp/ifcfg-bond0:1
bond "bond0" {
  slaves           = [nic.eth0, nic.eth1]
  mode             = "802.3ad"
  miimon           = 100
  lacp_rate        = "fast"
  xmit_hash_policy = "layer3+4"
  ad_select        = "bandwidth"
  mtu              = 9000
}

# from ifcfg/rhel-lacp/ifcfg-bond0.100:1
vlan "bond0_100" {
  link = bond.bond0
  id   = 100
}

# from ifcfg/rhel-lacp/ifcfg-bond0:5, ifcfg/rhel-lacp/ifcfg-br0:1
bridge "br0" {
  ports         = [bond.bond0]
  stp           = false
  forward_delay = 0
  mtu           = 9000
  addresses     = ["198.51.100.40/24"]
  gateway       = "198.51.100.1"
}

# from ifcfg/rhel-lacp/ifcfg-bond0.100:3, ifcfg/rhel-lacp/ifcfg-br100:1
bridge "br100" {
  ports              = [vlan.bond0_100]
  stp                = false
  forward_delay      = 0
  ageing_time        = 300
  multicast_snooping = false
}

# Not carried over (the import's diagnostics):
#   ifcfg/rhel-lacp/ifcfg-br0:11: warning: br0: DNS1=198.51.100.53: not carried over (no equivalent in a plan)
