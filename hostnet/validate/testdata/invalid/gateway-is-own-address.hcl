# expect: error 6 "Gateway is the interface's own address"
# The gateway is the bridge's own address.
bridge "br0" {
  ports     = []
  addresses = ["198.51.100.10/24"]
  gateway   = "198.51.100.10"
}
