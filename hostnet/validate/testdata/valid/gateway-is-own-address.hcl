# The gateway is another address of the prefix.
bridge "br0" {
  ports     = []
  addresses = ["198.51.100.10/24"]
  gateway   = "198.51.100.1"
}
