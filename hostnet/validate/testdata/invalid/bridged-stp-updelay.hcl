# expect: warning 10 "updelay shorter than the STP forward delay"
# expect: warning 19 "updelay shorter than the STP forward delay"
# STP on the bridge: the recovered slave is used before the switch port forwards.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves  = [nic.uplink0, nic.uplink1]
  mode    = "active-backup"
  miimon  = 100
  updelay = 2000
}
bridge "br0" {
  ports         = [bond.bond0]
  stp           = true
  forward_delay = 4
}
nic "uplink2" { mac = "52:54:00:00:00:03" }
nic "uplink3" { mac = "52:54:00:00:00:04" }
bond "bond1" {
  slaves = [nic.uplink2, nic.uplink3]
  mode   = "active-backup"
  miimon = 100
}
bridge "br1" {
  ports = [bond.bond1]
  stp   = true # forward_delay defaults to 15 s
}
