# Imported by `hostnet import netplan` from:
#   netplan/50-bond-bridge-vlans.yaml
#   netplan/60-arp.yaml
# 1 setting(s) could not be carried over: listed at the end of this file.

# inferred: an 802.3ad bond is configured, so the switch ports answer LACP
switch {
  lacp = true
}

# from netplan/50-bond-bridge-vlans.yaml:6, netplan/50-bond-bridge-vlans.yaml:16
nic "enp1s0" {
  mac = "52:54:00:13:00:01"
}

# from netplan/50-bond-bridge-vlans.yaml:10, netplan/50-bond-bridge-vlans.yaml:16
nic "enp2s0" {
  mac = "52:54:00:13:00:02"
}

# from netplan/60-arp.yaml:4, netplan/60-arp.yaml:12
nic "eno3" {
  mac = "52:54:00:13:00:03"
}

# from netplan/60-arp.yaml:7, netplan/60-arp.yaml:12
nic "eno4" {
  mac = "52:54:00:13:00:04"
}

# from netplan/50-bond-bridge-vlans.yaml:15, netplan/50-bond-bridge-vlans.yaml:26, netplan/50-bond-bridge-vlans.yaml:29, netplan/50-bond-bridge-vlans.yaml:32
bond "bond0" {
  slaves           = [nic.enp1s0, nic.enp2s0]
  mode             = "802.3ad"
  lacp_rate        = "fast"
  miimon           = 100
  xmit_hash_policy = "layer3+4"
  mtu              = 9000
}

# from netplan/60-arp.yaml:11
bond "bond1" {
  slaves        = [nic.eno3, nic.eno4]
  mode          = "active-backup"
  arp_interval  = 500
  arp_ip_target = ["203.0.113.1", "203.0.113.2"]
  arp_validate  = "all"
  primary       = nic.eno3
  fail_over_mac = "active"
  addresses     = ["203.0.113.60/24"]
}

# from netplan/50-bond-bridge-vlans.yaml:24, netplan/50-bond-bridge-vlans.yaml:46
vlan "vlan100" {
  name = "vlan100"
  link = bond.bond0
  id   = 100
}

# from netplan/50-bond-bridge-vlans.yaml:27, netplan/50-bond-bridge-vlans.yaml:50
vlan "bond0_200" {
  link = bond.bond0
  id   = 200
}

# from netplan/50-bond-bridge-vlans.yaml:31
bridge "br0" {
  ports         = [bond.bond0]
  stp           = false
  forward_delay = 0
  addresses     = ["198.51.100.60/24"]
  gateway       = "198.51.100.1"
}

# from netplan/50-bond-bridge-vlans.yaml:45
bridge "br100" {
  ports = [vlan.vlan100]
  stp   = false
}

# from netplan/50-bond-bridge-vlans.yaml:49
bridge "br200" {
  ports = [vlan.bond0_200]
}

# from netplan/50-bond-bridge-vlans.yaml:37
route "to_203_0_113_128_25" {
  to     = "203.0.113.128/25"
  via    = "198.51.100.254"
  dev    = bridge.br0
  metric = 100
}

# Not carried over (the import's diagnostics):
#   netplan/50-bond-bridge-vlans.yaml:40: warning: br0: nameservers: not carried over (no equivalent in a plan)
