# Imported by `hostnet import interfaces` from:
#   interfaces/ifupdown2-arp/interfaces

# from interfaces/ifupdown2-arp/interfaces:9
nic "eth2" {
  mac = "52:54:00:ee:9a:4a"
}

# from interfaces/ifupdown2-arp/interfaces:9
nic "eth3" {
  mac = "52:54:00:ee:9b:dd"
}

# from interfaces/ifupdown2-arp/interfaces:7
bond "bond1" {
  slaves        = [nic.eth2, nic.eth3]
  mode          = "active-backup"
  arp_interval  = 100
  arp_ip_target = ["203.0.113.20", "203.0.113.21"]
  arp_validate  = "active"
  primary       = nic.eth2
  addresses     = ["203.0.113.10/24"]
}

# from interfaces/ifupdown2-arp/interfaces:17
vlan "bond1_30" {
  link      = bond.bond1
  id        = 30
  addresses = ["198.51.100.10/24"]
}
