# A route to the same prefix in another table (policy routing), and a narrower one.
bridge "br0" {
  addresses = ["198.51.100.10/24"]
}
route "policy" {
  to    = "198.51.100.0/24"
  dev   = bridge.br0
  table = 100
}
route "narrow" {
  to  = "198.51.100.128/25"
  via = "198.51.100.1"
}
