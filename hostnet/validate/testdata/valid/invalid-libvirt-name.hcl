# Names with every character libvirt names may have: letters, digits, '.', '_', '-'.
nic "uplink0" { mac = "52:54:00:00:00:01" }
bridge "br0" { ports = [nic.uplink0] }
libvirt_network "guests" {
  bridge = bridge.br0
  name   = "Guests_v2.prod-1"
  portgroup {
    name = "gold-2.tier_A"
  }
}
