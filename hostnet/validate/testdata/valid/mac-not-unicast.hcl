# Unicast MACs: universally administered and locally administered (02:...).
nic "uplink0" { mac = "52:54:00:00:00:01" }
bridge "br0" {
  ports = [nic.uplink0]
  mac   = "02:00:00:00:00:01"
}
