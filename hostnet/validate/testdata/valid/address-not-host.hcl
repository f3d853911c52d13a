# Host addresses; on a /31 (point-to-point, RFC 3021) both addresses are hosts.
bridge "br0" {
  addresses = ["198.51.100.254/24", "203.0.113.1/31", "2001:db8::ff/64"]
}
