# expect: error 16 "FDB entry on an interface that is not a port of the bridge"
# A static FDB entry on uplink1, which is a port of br1, not of br0.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bridge "br1" {
  ports = [nic.uplink1]
}
bridge "br0" {
  ports = [nic.uplink0]
  fdb {
    mac  = "52:54:00:aa:00:01"
    port = nic.uplink0
  }
  fdb {
    mac  = "52:54:00:aa:00:02"
    port = nic.uplink1
  }
}
