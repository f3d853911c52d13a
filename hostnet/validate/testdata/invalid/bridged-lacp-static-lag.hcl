# expect: error 10 "802.3ad under a bridge against a static LAG"
# 802.3ad under a bridge, but the switch ports are a static LAG, not LACP (lab: flaky, 0/20 or 20/20).
switch {
  static_lag = true
}
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves    = [nic.uplink0, nic.uplink1]
  mode      = "802.3ad"
  lacp_rate = "fast"
}
bridge "br0" {
  ports = [bond.bond0]
}
