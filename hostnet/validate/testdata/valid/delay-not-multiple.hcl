# Delays that are multiples of miimon.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves           = [nic.uplink0, nic.uplink1]
  mode             = "active-backup"
  miimon           = 50
  updelay          = 250
  downdelay        = 100
  peer_notif_delay = 500
}
