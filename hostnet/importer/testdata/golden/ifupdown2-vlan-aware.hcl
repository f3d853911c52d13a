# Imported by `hostnet import interfaces` from:
#   interfaces/ifupdown2-vlan-aware/interfaces

# from interfaces/ifupdown2-vlan-aware/interfaces:8
nic "ens1f0" {
  mac = "52:54:00:ee:40:e8"
}

# from interfaces/ifupdown2-vlan-aware/interfaces:8
nic "ens1f1" {
  mac = "52:54:00:ee:42:7b"
}

# from interfaces/ifupdown2-vlan-aware/interfaces:14, interfaces/ifupdown2-vlan-aware/interfaces:24
nic "ens2" {
  mac = "52:54:00:ee:2e:6b"
}

# from interfaces/ifupdown2-vlan-aware/interfaces:18, interfaces/ifupdown2-vlan-aware/interfaces:24
nic "ens3" {
  mac = "52:54:00:ee:2c:d8"
}

# from interfaces/ifupdown2-vlan-aware/interfaces:7, interfaces/ifupdown2-vlan-aware/interfaces:24
bond "bond0" {
  slaves = [nic.ens1f0, nic.ens1f1]
  mode   = "active-backup"
  miimon = 100
}

# from interfaces/ifupdown2-vlan-aware/interfaces:31
vlan "br0_100" {
  link      = bridge.br0
  id        = 100
  addresses = ["198.51.100.30/24"]
}

# from interfaces/ifupdown2-vlan-aware/interfaces:23
bridge "br0" {
  ports          = [bond.bond0, nic.ens2, nic.ens3]
  stp            = false
  vlan_filtering = true
  # from interfaces/ifupdown2-vlan-aware/interfaces:11
  port {
    link = bond.bond0
    vids = [100, "200-299", 4000]
  }
  # from interfaces/ifupdown2-vlan-aware/interfaces:15
  port {
    link = nic.ens2
    vids = []
    pvid = 300
  }
  # from interfaces/ifupdown2-vlan-aware/interfaces:19
  port {
    link = nic.ens3
    vids = [21]
    pvid = 20
  }
}
