# forward_delay 0 without STP; 2 (the minimum) with STP.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bridge "br0" {
  ports         = [nic.uplink0]
  forward_delay = 0
}
bridge "br1" {
  ports         = [nic.uplink1]
  forward_delay = 2
  stp           = true
}
