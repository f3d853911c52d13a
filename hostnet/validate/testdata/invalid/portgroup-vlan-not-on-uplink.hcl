# expect: warning 21 "Guest VLAN not carried by the bridge's uplink"
# Guests in VLAN 30, which the uplink does not carry.
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
    vids = [10, 20]
  }
}
libvirt_network "vmbr0" {
  bridge = bridge.vmbr0
  portgroup {
    name = "vlan30"
    vlan = 30
  }
}
