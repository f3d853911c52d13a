# Unicast targets, including the last address of a prefix and a link-local IPv6 one.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves        = [nic.uplink0, nic.uplink1]
  mode          = "active-backup"
  arp_interval  = 500
  arp_ip_target = ["198.51.100.255", "203.0.113.1"]
  ns_ip6_target = ["fe80::1"]
}
