# The same with vlan_filtering = true.
nic "uplink0" { mac = "52:54:00:00:00:01" }
bond "bond0" {
  slaves = [nic.uplink0]
  mode   = "active-backup"
  miimon = 100
}
bridge "vmbr0" {
  ports          = [bond.bond0]
  vlan_filtering = true
  vids           = [50]
  port {
    link = bond.bond0
    vids = ["2-4094"]
  }
}
