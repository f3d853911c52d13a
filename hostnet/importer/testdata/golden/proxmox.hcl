# Imported by `hostnet import interfaces` from:
#   interfaces/proxmox/interfaces
#   interfaces/proxmox/interfaces.d/storage
# 1 setting(s) could not be carried over: listed at the end of this file.

# inferred: an 802.3ad bond is configured, so the switch ports answer LACP
switch {
  lacp = true
}

# from interfaces/proxmox/interfaces:6, interfaces/proxmox/interfaces:13
nic "eno1" {
  mac = "52:54:00:ee:9f:ca"
}

# from interfaces/proxmox/interfaces:9, interfaces/proxmox/interfaces:13
nic "eno2" {
  mac = "52:54:00:ee:9e:37"
}

# from interfaces/proxmox/interfaces:12, interfaces/proxmox/interfaces:24
bond "bond0" {
  slaves           = [nic.eno1, nic.eno2]
  miimon           = 100
  mode             = "802.3ad"
  xmit_hash_policy = "layer3+4"
  lacp_rate        = "fast"
  mtu              = 9000
}

# from interfaces/proxmox/interfaces.d/storage:3
vlan "bond0_50" {
  link      = bond.bond0
  id        = 50
  mtu       = 9000
  addresses = ["203.0.113.21/24"]
}

# from interfaces/proxmox/interfaces:21
bridge "vmbr0" {
  ports          = [bond.bond0]
  stp            = false
  forward_delay  = 0
  vlan_filtering = true
  mtu            = 9000
  addresses      = ["198.51.100.21/24"]
  gateway        = "198.51.100.1"
  # from interfaces/proxmox/interfaces:28
  port {
    link = bond.bond0
    vids = ["2-4094"]
  }
}

# Not carried over (the import's diagnostics):
#   interfaces/proxmox/interfaces.d/storage:6: warning: bond0.50: post-up ip route add 203.0.113.128/25 via 203.0.113.1: not carried over (hostnet runs no commands and has no equivalent)
