# expect: error 6 "Unsupported argument"
# A misspelt option is an error, never ignored.
nic "uplink0" { mac = "52:54:00:00:00:01" }
bond "bond0" {
  slaves   = [nic.uplink0]
  mii_mon  = 100
}
