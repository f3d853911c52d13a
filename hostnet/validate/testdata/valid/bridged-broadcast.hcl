# broadcast mode on a bond that is no bridge port (the host's own addresses on it).
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves    = [nic.uplink0, nic.uplink1]
  mode      = "broadcast"
  miimon    = 100
  addresses = ["198.51.100.10/24"]
}
