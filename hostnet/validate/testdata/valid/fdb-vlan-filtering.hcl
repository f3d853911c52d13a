# No VLAN without filtering; VLAN 1 (the default PVID) with it.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bridge "br0" {
  ports = [nic.uplink0]
  fdb {
    mac  = "52:54:00:aa:00:01"
    port = nic.uplink0
  }
}
bridge "br1" {
  ports          = [nic.uplink1]
  vlan_filtering = true
  port {
    link = nic.uplink1
    vids = [100]
  }
  fdb {
    mac  = "52:54:00:aa:00:02"
    port = nic.uplink1
    vlan = 1
  }
}
