# expect: error 4 "MAC address is not unicast"
# expect: error 7 "MAC address is not unicast"
# A multicast MAC on a NIC matches nothing; on a bridge the kernel refuses it.
nic "uplink0" { mac = "53:54:00:00:00:01" }
bridge "br0" {
  ports = [nic.uplink0]
  mac   = "00:00:00:00:00:00"
}
