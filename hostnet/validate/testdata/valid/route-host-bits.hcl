# The prefix itself, and a host route.
bridge "br0" {
  addresses = ["198.51.100.10/24"]
}
route "net" {
  dev = bridge.br0
  to  = "203.0.113.0/24"
  via = "198.51.100.1"
}
route "host" {
  dev = bridge.br0
  to  = "203.0.113.5/32"
  via = "198.51.100.1"
}
