# expect: error 11 "balance-xor under a bridge needs a static LAG"
# balance-xor under a VLAN bridge; the switch runs LACP, not a static LAG.
switch {
  lacp = true
}
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }

bond "bond0" {
  slaves           = [nic.uplink0, nic.uplink1]
  mode             = "balance-xor"
  miimon           = 100
  xmit_hash_policy = "vlan+srcmac"
}

vlan "tenant" {
  for_each = range(100, 103)
  link     = bond.bond0
  id       = each.value
}

bridge "tenant" {
  for_each = vlan.tenant
  name     = "br${each.key}"
  ports    = [each.value]
}
