# expect: error 4 "Ownership mark longer than the kernel keeps"
# A for_each key so long that bridge.t["<key>"] with the mark's tag exceeds 255 bytes.
nic "uplink0" { mac = "52:54:00:00:00:01" }
bridge "t" {
  for_each = toset(["kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"])
  name     = "brlong"
}
