# expect: error 4 "Invalid MAC address"
# The decoder checks MAC syntax (validate then checks unicast, see mac-not-unicast).
nic "uplink0" {
  mac = "52:54:00:00:01"
}
