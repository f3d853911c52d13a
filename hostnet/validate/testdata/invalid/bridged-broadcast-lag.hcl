# expect: warning 10 "broadcast mode under a bridge duplicates every frame"
# With a static LAG the switch does not flap, but every frame arrives once per slave.
switch {
  static_lag = true
}
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves = [nic.uplink0, nic.uplink1]
  mode   = "broadcast"
  miimon = 100
}
bridge "br0" {
  ports = [bond.bond0]
}
