# Next hops inside planned prefixes (of dev when given); on-link routes need no via.
bridge "br0" { addresses = ["198.51.100.10/24"] }
bridge "br1" { addresses = ["203.0.113.10/24", "2001:db8::10/64"] }
route "a" {
  to  = "203.0.113.128/25"
  via = "198.51.100.1"
}
route "b" {
  to  = "198.51.100.128/25"
  dev = bridge.br1
  via = "203.0.113.1"
}
route "c" {
  to  = "2001:db8:1::/48"
  via = "fe80::1"
  dev = bridge.br1
}
route "d" {
  to  = "203.0.113.0/28"
  dev = bridge.br0
}
