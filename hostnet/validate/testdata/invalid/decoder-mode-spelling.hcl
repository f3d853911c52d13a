# expect: error 6 "Invalid value for mode"
# Modes by name or number 0..6, as modprobe accepts; "lacp" is not one.
nic "uplink0" { mac = "52:54:00:00:00:01" }
bond "bond0" {
  slaves = [nic.uplink0]
  mode   = "lacp"
}
