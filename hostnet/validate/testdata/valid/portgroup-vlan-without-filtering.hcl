# The same on a VLAN-aware bridge whose uplink carries VLAN 10, and a trunk portgroup.
nic "uplink0" { mac = "52:54:00:00:00:01" }
bond "bond0" {
  slaves = [nic.uplink0]
  mode   = "active-backup"
  miimon = 100
}
bridge "vmbr0" {
  ports          = [bond.bond0]
  vlan_filtering = true
  port {
    link = bond.bond0
    vids = ["2-4094"]
  }
}
libvirt_network "vmbr0" {
  bridge = bridge.vmbr0
  portgroup {
    name = "vlan10"
    vlan = 10
  }
  portgroup {
    name  = "router"
    trunk = ["100-199"]
  }
}
