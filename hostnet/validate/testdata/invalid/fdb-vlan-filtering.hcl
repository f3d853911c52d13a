# expect: error 12 "FDB entry VLAN does not match vlan_filtering"
# expect: error 22 "FDB entry VLAN does not match vlan_filtering"
# A VLAN on an entry of a bridge without VLAN filtering, and an entry without VLAN on a
# VLAN-filtering bridge.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bridge "br0" {
  ports = [nic.uplink0]
  fdb {
    mac  = "52:54:00:aa:00:01"
    port = nic.uplink0
    vlan = 100
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
  }
}
