# One IPv4 default gateway; a backup default route with another metric, one in another
# table, and IPv6 default gateways (IPv6 makes them one multipath route).
bridge "br0" {
  addresses = ["198.51.100.10/24", "2001:db8:1::10/64"]
  gateway   = "198.51.100.1"
}
bridge "br1" {
  addresses = ["203.0.113.10/24", "2001:db8:2::10/64"]
  gateway   = "2001:db8:2::1"
}
bridge "br2" {
  addresses = ["2001:db8:3::10/64"]
  gateway   = "2001:db8:3::1"
}
route "backup" {
  to     = "default"
  via    = "203.0.113.1"
  metric = 100
}
route "tenant" {
  to    = "default"
  via   = "203.0.113.1"
  table = 100
}
