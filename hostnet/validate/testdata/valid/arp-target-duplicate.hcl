# Distinct targets; the same address may appear as an interface address elsewhere.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves        = [nic.uplink0, nic.uplink1]
  mode          = "active-backup"
  arp_interval  = 500
  arp_ip_target = ["198.51.100.1", "198.51.100.2"]
  ns_ip6_target = ["2001:db8::1", "2001:db8::2"]
}
