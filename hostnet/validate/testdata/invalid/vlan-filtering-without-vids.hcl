# expect: error 14 "VLAN-filtering bridge with no VLANs on its uplink"
# expect: error 19 "VLAN-filtering bridge with no VLANs on its uplink"
# A VLAN-aware bridge whose bond uplink is only in VLAN 1, and one whose port block sets
# flags but no VLANs: the switch's tagged frames are dropped at the port.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves = [nic.uplink0]
  mode   = "active-backup"
  miimon = 100
}
bridge "vmbr0" {
  ports          = [bond.bond0]
  vlan_filtering = true
}
bridge "vmbr1" {
  ports          = [nic.uplink1]
  vlan_filtering = true
  port {
    link     = nic.uplink1
    learning = true
  }
}
