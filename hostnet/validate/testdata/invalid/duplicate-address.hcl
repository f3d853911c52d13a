# expect: error 8 "Address used twice"
# expect: error 11 "Address used twice"
# Same address on two bridges (other prefix length too), and twice on one bridge.
bridge "br0" {
  addresses = ["198.51.100.10/24"]
}
bridge "br1" {
  addresses = ["198.51.100.10/25"]
}
bridge "br2" {
  addresses = ["203.0.113.5/24", "203.0.113.5/24"]
}
