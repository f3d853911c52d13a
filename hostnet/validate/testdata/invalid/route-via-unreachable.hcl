# expect: error 9 "Route gateway not reachable"
# expect: error 14 "Route gateway not reachable"
# The next hop is in no planned prefix (or not in the prefixes of dev).
bridge "br0" { addresses = ["198.51.100.10/24"] }
bridge "br1" { addresses = ["203.0.113.10/24"] }
route "a" {
  to     = "203.0.113.128/25"
  metric = 10
  via    = "198.51.101.1"
}
route "b" {
  to  = "198.51.100.128/25"
  dev = bridge.br0
  via = "203.0.113.1"
}
