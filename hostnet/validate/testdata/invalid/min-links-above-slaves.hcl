# expect: error 9 "min_links above the number of slaves"
# Two slaves can never make three active ports.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves    = [nic.uplink0, nic.uplink1]
  mode      = "802.3ad"
  miimon    = 100
  min_links = 3
}
