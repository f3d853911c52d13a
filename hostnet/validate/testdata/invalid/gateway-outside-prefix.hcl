# expect: error 6 "Gateway outside the interface's prefixes"
# expect: error 10 "Gateway outside the interface's prefixes"
# The gateway is in none of the interface's prefixes.
bridge "br0" {
  addresses = ["198.51.100.10/25"]
  gateway   = "198.51.100.129"
}
bridge "br1" {
  addresses = ["198.51.100.200/25"]
  gateway   = "2001:db8::1"
}
