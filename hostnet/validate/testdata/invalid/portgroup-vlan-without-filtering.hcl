# expect: error 16 "Guest VLAN on a bridge without vlan_filtering"
# Guests put in VLAN 10 on a bridge that does not filter VLANs.
nic "uplink0" { mac = "52:54:00:00:00:01" }
bond "bond0" {
  slaves = [nic.uplink0]
  mode   = "active-backup"
  miimon = 100
}
bridge "vmbr0" {
  ports = [bond.bond0]
}
libvirt_network "vmbr0" {
  bridge = bridge.vmbr0
  portgroup {
    name = "vlan10"
    vlan = 10
  }
}
