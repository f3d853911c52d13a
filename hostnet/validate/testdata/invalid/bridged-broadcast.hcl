# expect: error 7 "broadcast mode under a bridge"
# broadcast mode duplicates every frame; without a LAG the switch flaps guest MACs.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves = [nic.uplink0, nic.uplink1]
  mode   = 3
  miimon = 100
}
bridge "br0" {
  ports = [bond.bond0]
}
