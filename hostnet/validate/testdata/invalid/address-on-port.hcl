# expect: error 7 "Address on a bridge port or bond slave"
# expect: error 13 "Address on a bridge port or bond slave"
# A gateway on a bond slave, and addresses on a bond that is a bridge port.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" {
  mac     = "52:54:00:00:00:02"
  gateway = "203.0.113.1"
}
bond "bond0" {
  slaves    = [nic.uplink0, nic.uplink1]
  mode      = "active-backup"
  miimon    = 100
  addresses = ["198.51.100.10/24"]
}
bridge "br0" {
  ports = [bond.bond0]
}
