# Imported by `hostnet import ifcfg` from:
#   ifcfg/ovirt-arp/ifcfg-ens3
#   ifcfg/ovirt-arp/ifcfg-ens4
#   ifcfg/ovirt-arp/ifcfg-bond1
#   ifcfg/ovirt-arp/ifcfg-vlan300

# from ifcfg/ovirt-arp/ifcfg-ens3:1, ifcfg/ovirt-arp/ifcfg-bond1:3
nic "ens3" {
  mac = "52:54:00:12:00:01"
}

# from ifcfg/ovirt-arp/ifcfg-ens4:1
nic "ens4" {
  mac = "52:54:00:12:00:02"
}

# from ifcfg/ovirt-arp/ifcfg-ens3:3, ifcfg/ovirt-arp/ifcfg-ens4:3, ifcfg/ovirt-arp/ifcfg-bond1:2, ifcfg/ovirt-arp/ifcfg-vlan300:3
bond "bond1" {
  slaves        = [nic.ens3, nic.ens4]
  mode          = "active-backup"
  arp_interval  = 1000
  arp_ip_target = ["198.51.100.1", "198.51.100.2"]
  arp_validate  = "active"
  primary       = nic.ens3
  addresses     = ["198.51.100.50/24"]
  gateway       = "198.51.100.1"
}

# from ifcfg/ovirt-arp/ifcfg-vlan300:1
vlan "vlan300" {
  name      = "vlan300"
  link      = bond.bond1
  id        = 300
  mtu       = 1500
  addresses = ["203.0.113.50/24"]
}
