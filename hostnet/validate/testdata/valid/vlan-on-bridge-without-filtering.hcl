# A host interface in VLAN 50 on a VLAN-aware bridge: the bridge itself joins VLAN 50.
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
vlan "mgmt" {
  id        = 50
  addresses = ["198.51.100.20/24"]
  link      = bridge.vmbr0
}
