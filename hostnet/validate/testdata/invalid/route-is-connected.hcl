# expect: error 8 "Route duplicates a connected prefix"
# expect: error 12 "Route duplicates a connected prefix"
# The kernel already has these routes from the address (EEXIST at metric 0; shadowed otherwise).
bridge "br0" {
  addresses = ["198.51.100.10/24"]
}
route "same" {
  to  = "198.51.100.0/24"
  dev = bridge.br0
}
route "backup" {
  to     = "198.51.100.0/24"
  via    = "198.51.100.1"
  metric = 100
}
