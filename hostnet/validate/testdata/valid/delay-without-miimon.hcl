# updelay/downdelay with the MII monitor on (in 802.3ad by the kernel's default of 100).
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves    = [nic.uplink0, nic.uplink1]
  mode      = "active-backup"
  miimon    = 100
  updelay   = 0
  downdelay = 200
}
nic "uplink2" { mac = "52:54:00:00:00:03" }
nic "uplink3" { mac = "52:54:00:00:00:04" }
bond "bond1" {
  slaves    = [nic.uplink2, nic.uplink3]
  mode      = "802.3ad"
  updelay   = 300
}
