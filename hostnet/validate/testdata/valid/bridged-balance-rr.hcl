# balance-rr under a bridge with the switch ports grouped in a static LAG
# (lab, Linux 6.1: passes, a cut loses nothing).
switch {
  static_lag = true
}
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves = [nic.uplink0, nic.uplink1]
  miimon = 100
}
bridge "br0" {
  ports = [bond.bond0]
}
# balance-rr without a bridge (the host's own traffic only) is not this rule's business.
nic "uplink2" { mac = "52:54:00:00:00:03" }
nic "uplink3" { mac = "52:54:00:00:00:04" }
bond "bond1" {
  slaves    = [nic.uplink2, nic.uplink3]
  mode      = "balance-rr"
  miimon    = 100
  addresses = ["198.51.100.10/24"]
}
