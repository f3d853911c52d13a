# expect: error 6 "forward_delay out of range with STP"
# With STP the kernel accepts forward_delay 2..30 s.
nic "uplink0" { mac = "52:54:00:00:00:01" }
bridge "br0" {
  ports         = [nic.uplink0]
  forward_delay = 0
  stp           = true
}
