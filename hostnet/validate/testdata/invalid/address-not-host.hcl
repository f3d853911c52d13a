# expect: error 7 "Address is not a host address"
# expect: error 7 "Address is not a host address"
# expect: error 10 "Address is not a host address"
# expect: error 10 "Address is not a host address"
# 0.0.0.0/0, the broadcast address of the prefix, an IPv6 multicast address and ::.
bridge "br0" {
  addresses = ["0.0.0.0/0", "198.51.100.255/24"]
}
bridge "br1" {
  addresses = ["ff02::1/64", "::/64"]
}
