# Distinct addresses in one prefix on two bridges; IPv4 and IPv6 on one.
bridge "br0" {
  addresses = ["198.51.100.10/24", "2001:db8::10/64"]
}
bridge "br1" {
  addresses = ["198.51.100.11/24"]
}
