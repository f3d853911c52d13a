# expect: error 4 "Duplicate NIC MAC address"
# Two NIC blocks would match the same device (MACs compare case-insensitively).
nic "uplink0" { mac = "52:54:00:ab:00:01" }
nic "uplink1" { mac = "52:54:00:AB:00:01" }
