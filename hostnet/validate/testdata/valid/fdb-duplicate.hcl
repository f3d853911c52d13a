# One MAC in two VLANs of a VLAN-filtering bridge: two entries, as the kernel keys them.
nic "uplink0" { mac = "52:54:00:00:00:01" }
bridge "br0" {
  ports          = [nic.uplink0]
  vlan_filtering = true
  port {
    link = nic.uplink0
    vids = [100]
  }
  fdb {
    mac  = "52:54:00:aa:00:01"
    port = nic.uplink0
    vlan = 1
  }
  fdb {
    mac  = "52:54:00:aa:00:01"
    port = nic.uplink0
    vlan = 100
  }
}
