# min_links equal to the number of slaves.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves    = [nic.uplink0, nic.uplink1]
  mode      = "802.3ad"
  min_links = 2
}
