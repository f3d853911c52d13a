# expect: error 10 "Delay is not a multiple of miimon"
# expect: error 12 "Delay is not a multiple of miimon"
# The kernel rounds these down to a multiple of miimon.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves           = [nic.uplink0, nic.uplink1]
  mode             = "active-backup"
  miimon           = 100
  updelay          = 250
  downdelay        = 200
  peer_notif_delay = 50
}
