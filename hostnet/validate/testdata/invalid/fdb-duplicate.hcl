# expect: error 14 "Duplicate FDB entry"
# expect: error 18 "Duplicate FDB entry"
# One MAC twice on one port, and once more on another port: the bridge keeps one entry per
# MAC (and VLAN).
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bridge "br0" {
  ports = [nic.uplink0, nic.uplink1]
  fdb {
    mac  = "52:54:00:aa:00:01"
    port = nic.uplink0
  }
  fdb {
    mac  = "52:54:00:AA:00:01"
    port = nic.uplink0
  }
  fdb {
    mac  = "52:54:00:aa:00:01"
    port = nic.uplink1
  }
}
