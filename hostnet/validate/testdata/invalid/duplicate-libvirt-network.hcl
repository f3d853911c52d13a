# expect: error 11 "Duplicate libvirt network name"
# Two networks named "guests".
nic "uplink0" { mac = "52:54:00:00:00:01" }
bridge "br0" { ports = [nic.uplink0] }
bridge "br1" {}
libvirt_network "guests" {
  bridge = bridge.br0
}
libvirt_network "other" {
  bridge = bridge.br1
  name   = "guests"
}
