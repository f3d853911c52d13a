# The uplinks carry VLANs: a Proxmox-style range on the bond, a for_each-friendly list on
# the NIC (range() and "lo-hi" strings mix), pvid 0 (no untagged VLAN at all).
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
  port {
    link = bond.bond0
    vids = ["2-4094"]
  }
}
bridge "vmbr1" {
  ports          = [nic.uplink1]
  vlan_filtering = true
  port {
    link = nic.uplink1
    vids = concat(range(100, 110), ["200-299"])
    pvid = 0
  }
}
