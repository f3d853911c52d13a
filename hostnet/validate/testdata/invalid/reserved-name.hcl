# expect: error 6 "Interface name reserved by the kernel"
# expect: error 9 "Interface name reserved by the kernel"
# expect: error 16 "Interface name reserved by the kernel"
# expect: error 21 "Interface name reserved by the kernel"
# Names that collide with fixed /proc/sys/net/ipv4/conf, /sys/class/net and /proc/net/vlan entries.
bridge "all" {}
bridge "br1" {
  ports = [bond.b]
  name  = "default"
}
nic "uplink0" { mac = "52:54:00:00:00:01" }
bond "b" {
  slaves = [nic.uplink0]
  mode   = "active-backup"
  miimon = 100
  name   = "bonding_masters"
}
vlan "config" {
  link = bond.b
  id   = 10
  name = "config"
}
