# Imported by `hostnet import nmstate` from:
#   nmstate/vlan-aware-arp.yml
# 1 setting(s) could not be carried over: listed at the end of this file.

# from nmstate/vlan-aware-arp.yml:3, nmstate/vlan-aware-arp.yml:16, nmstate/vlan-aware-arp.yml:21
nic "eth0" {
  mac = "52:54:00:14:00:03"
}

# from nmstate/vlan-aware-arp.yml:7, nmstate/vlan-aware-arp.yml:21
nic "eth1" {
  mac = "52:54:00:14:00:04"
}

# from nmstate/vlan-aware-arp.yml:11, nmstate/vlan-aware-arp.yml:36
bond "bond1" {
  slaves        = [nic.eth0, nic.eth1]
  mode          = "active-backup"
  arp_interval  = 1000
  arp_ip_target = ["198.51.100.1", "198.51.100.2"]
  arp_validate  = "backup"
  primary       = nic.eth0
}

# from nmstate/vlan-aware-arp.yml:22
bridge "br1" {
  ports          = [bond.bond1]
  stp            = false
  forward_delay  = 0
  vlan_filtering = true
  addresses      = ["198.51.100.80/24"]
}

# Not carried over (the import's diagnostics):
#   nmstate/vlan-aware-arp.yml:37: warning: br1: port bond1: VLAN list (vlan: "mode: trunk trunk-tags: - id-range: min: 10 max: 20"): not carried over (the plan language has no per-port VIDs yet); vlan_filtering is set
