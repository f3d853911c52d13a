# A unicast, locally administered LACP system MAC; all zeros is the kernel's default
# (the bond's own MAC), which the lab kernel accepts and reads back.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves          = [nic.uplink0, nic.uplink1]
  mode            = "802.3ad"
  ad_actor_system = "02:00:00:00:00:01"
}
nic "uplink2" { mac = "52:54:00:00:00:03" }
bond "bond1" {
  slaves          = [nic.uplink2]
  mode            = "802.3ad"
  ad_actor_system = "00:00:00:00:00:00"
}
