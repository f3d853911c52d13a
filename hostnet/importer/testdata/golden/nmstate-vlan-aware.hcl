# Imported by `hostnet import nmstate` from:
#   nmstate/vlan-aware-arp.yml

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
  # from nmstate/vlan-aware-arp.yml:37
  port {
    link = bond.bond1
    vids = ["10-20"]
    pvid = 0
  }
}
