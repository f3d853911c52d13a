# expect: error 8 "Invalid libvirt network or portgroup name"
# expect: error 12 "Invalid libvirt network or portgroup name"
# A network name with markup, a portgroup name with a quote and a newline.
nic "uplink0" { mac = "52:54:00:00:00:01" }
bridge "br0" { ports = [nic.uplink0] }
libvirt_network "guests" {
  bridge = bridge.br0
  name   = "guests</name><name>x"
  portgroup {
    name = "gold"
  }
  portgroup {
    name = "it's\nnew"
  }
}
