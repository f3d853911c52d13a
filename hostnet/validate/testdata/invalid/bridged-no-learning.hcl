# expect: warning 16 "balance-rr/xor under a bridge relies on learning off on the bond port"
# expect: warning 40 "balance-rr/xor under a bridge relies on learning off on the bond port"
# balance-rr under a bridge against a plain switch, with learning off on the bond port:
# measured to keep guests reachable (a warning that states the cost, not an error).
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves = [nic.uplink0, nic.uplink1]
  mode   = "balance-rr"
  miimon = 100
}
bridge "br0" {
  ports = [bond.bond0]
  port {
    link     = bond.bond0
    learning = false
  }
}

# balance-xor through VLAN bridges, learning off on each VLAN port: one warning for the
# for_each block.
nic "uplink2" { mac = "52:54:00:00:00:03" }
nic "uplink3" { mac = "52:54:00:00:00:04" }
bond "bond1" {
  slaves = [nic.uplink2, nic.uplink3]
  mode   = "balance-xor"
  miimon = 100
}
vlan "tenant" {
  for_each = range(100, 103)
  link     = bond.bond1
  id       = each.value
}
bridge "tenant" {
  for_each = vlan.tenant
  name     = "br${each.key}"
  ports    = [each.value]
  port {
    link     = each.value
    learning = false
  }
}
