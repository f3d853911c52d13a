# Gateways inside the prefix; an IPv6 link-local gateway is always on-link.
bridge "br0" {
  addresses = ["198.51.100.10/25"]
  gateway   = "198.51.100.1"
}
bridge "br1" {
  addresses = ["203.0.113.10/24"]
  gateway   = "fe80::1"
}
