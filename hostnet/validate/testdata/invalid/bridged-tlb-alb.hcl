# expect: warning 8 "balance-tlb/alb under a bridge"
# expect: warning 15 "balance-tlb/alb under a bridge"
# tlb/alb under a bridge: no receive balancing for guests, kernel-version dependent.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves = [nic.uplink0, nic.uplink1]
  mode   = "balance-tlb"
  miimon = 100
}
nic "uplink2" { mac = "52:54:00:00:00:03" }
nic "uplink3" { mac = "52:54:00:00:00:04" }
bond "bond1" {
  slaves = [nic.uplink2, nic.uplink3]
  mode   = 6
}
vlan "v200" {
  link = bond.bond1
  id   = 200
}
bridge "br0" {
  ports = [bond.bond0, vlan.v200]
}
