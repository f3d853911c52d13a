# Imported by `hostnet import interfaces` from:
#   interfaces/ifupdown2-vlans/interfaces
# 1 setting(s) could not be carried over: listed at the end of this file.

# from interfaces/ifupdown2-vlans/interfaces:7
nic "ens1f0" {
  mac = "52:54:00:ee:40:e8"
}

# from interfaces/ifupdown2-vlans/interfaces:7
nic "ens1f1" {
  mac = "52:54:00:ee:42:7b"
}

# from interfaces/ifupdown2-vlans/interfaces:6, interfaces/ifupdown2-vlans/interfaces:16, interfaces/ifupdown2-vlans/interfaces:23
bond "bond0" {
  slaves    = [nic.ens1f0, nic.ens1f1]
  mode      = "active-backup"
  miimon    = 100
  primary   = nic.ens1f0
  updelay   = 200
  downdelay = 200
}

# from interfaces/ifupdown2-vlans/interfaces:22, interfaces/ifupdown2-vlans/interfaces:28
vlan "vlan100" {
  name = "vlan100"
  link = bond.bond0
  id   = 100
}

# from interfaces/ifupdown2-vlans/interfaces:33, interfaces/ifupdown2-vlans/interfaces:37
vlan "bond0_200" {
  link = bond.bond0
  id   = 200
}

# from interfaces/ifupdown2-vlans/interfaces:15
bridge "br0" {
  ports     = [bond.bond0]
  stp       = false
  addresses = ["198.51.100.30/24"]
  gateway   = "198.51.100.1"
}

# from interfaces/ifupdown2-vlans/interfaces:27
bridge "br100" {
  ports         = [vlan.vlan100]
  stp           = false
  forward_delay = 0
}

# from interfaces/ifupdown2-vlans/interfaces:36
bridge "br200" {
  ports         = [vlan.bond0_200]
  stp           = false
  forward_delay = 0
  ageing_time   = 600
}

# Not carried over (the import's diagnostics):
#   interfaces/ifupdown2-vlans/interfaces:41: warning: br200: dns-nameservers 198.51.100.53: not carried over (hostnet runs no commands and has no equivalent)
