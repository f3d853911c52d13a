# expect: error 10 "Invalid ad_actor_system"
# expect: error 17 "Invalid ad_actor_system"
# LACP system MAC must be unicast and non-zero.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves          = [nic.uplink0, nic.uplink1]
  mode            = "802.3ad"
  miimon          = 100
  ad_actor_system = "01:80:c2:00:00:02"
}
nic "uplink2" { mac = "52:54:00:00:00:03" }
bond "bond1" {
  slaves          = [nic.uplink2]
  mode            = "802.3ad"
  miimon          = 100
  ad_actor_system = "00:00:00:00:00:00"
}
