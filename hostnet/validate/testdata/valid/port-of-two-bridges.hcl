# One NIC reaches two bridges through two VLANs; the NIC itself is a port of a third.
nic "uplink0" { mac = "52:54:00:00:00:01" }
vlan "v10" {
  link = nic.uplink0
  id   = 10
}
vlan "v20" {
  link = nic.uplink0
  id   = 20
}
bridge "br10" { ports = [vlan.v10] }
bridge "br20" { ports = [vlan.v20] }
bridge "br0" { ports = [nic.uplink0] }
