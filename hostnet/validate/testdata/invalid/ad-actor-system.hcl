# expect: error 9 "Invalid ad_actor_system"
# The LACP system MAC must not be multicast (the kernel refuses it with EINVAL).
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves          = [nic.uplink0, nic.uplink1]
  mode            = "802.3ad"
  miimon          = 100
  ad_actor_system = "01:80:c2:00:00:02"
}
