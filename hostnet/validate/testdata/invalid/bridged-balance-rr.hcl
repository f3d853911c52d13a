# expect: error 7 "balance-rr under a bridge needs a static LAG"
# A bond without mode (balance-rr by default) as a bridge port, no switch block.
# Lab, Linux 6.1: guests 0/20 pings both ways.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }

bond "bond0" {
  slaves = [nic.uplink0, nic.uplink1]
  miimon = 100
}

bridge "br0" {
  ports = [bond.bond0]
}
