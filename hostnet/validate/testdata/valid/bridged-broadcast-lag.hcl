# A static LAG with a balance-xor bond under the bridge instead of broadcast.
switch {
  static_lag = true
}
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves = [nic.uplink0, nic.uplink1]
  mode   = "balance-xor"
  miimon = 100
}
bridge "br0" {
  ports = [bond.bond0]
}
