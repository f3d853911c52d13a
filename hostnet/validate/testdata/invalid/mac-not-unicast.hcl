# expect: error 5 "MAC address is not unicast"
# expect: error 8 "MAC address is not unicast"
# expect: error 13 "MAC address is not unicast"
# A multicast MAC on a NIC matches nothing; on a bridge the kernel refuses it.
nic "uplink0" { mac = "53:54:00:00:00:01" }
bridge "br0" {
  ports = [nic.uplink0]
  mac   = "00:00:00:00:00:00"
}
bridge "br1" {
  ports = [nic.uplink1]
  fdb {
    mac  = "01:00:5e:00:00:01"
    port = nic.uplink1
  }
}
nic "uplink1" { mac = "52:54:00:00:00:02" }
