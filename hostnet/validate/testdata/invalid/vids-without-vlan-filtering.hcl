# expect: error 12 "VLANs on a bridge without vlan_filtering"
# expect: error 15 "VLANs on a bridge without vlan_filtering"
# VLANs listed on a bridge and on its port, but the bridge does not filter VLANs.
nic "uplink0" { mac = "52:54:00:00:00:01" }
bond "bond0" {
  slaves = [nic.uplink0]
  mode   = "active-backup"
  miimon = 100
}
bridge "vmbr0" {
  ports = [bond.bond0]
  vids  = [50]
  port {
    link = bond.bond0
    vids = ["2-4094"]
  }
}
