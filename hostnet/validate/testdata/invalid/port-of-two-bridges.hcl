# expect: error 9 "Interface is a port of two bridges"
# expect: error 13 "Interface is a port of two bridges"
# One device, one master.
nic "uplink0" { mac = "52:54:00:00:00:01" }
bridge "br0" {
  ports = [nic.uplink0]
}
bridge "br1" {
  ports = [nic.uplink0]
}
nic "uplink1" { mac = "52:54:00:00:00:02" }
bridge "br2" {
  ports = [nic.uplink1, nic.uplink1]
}
