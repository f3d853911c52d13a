# expect: error 8 "Route prefix has host bits set"
# 203.0.113.5/24 is not a prefix: the kernel refuses it (EINVAL).
bridge "br0" {
  addresses = ["198.51.100.10/24"]
}
route "r" {
  dev = bridge.br0
  to  = "203.0.113.5/24"
  via = "198.51.100.1"
}
