# Imported by `hostnet import nmstate` from:
#   nmstate/vlan-aware-ports.yml

# from nmstate/vlan-aware-ports.yml:3, nmstate/vlan-aware-ports.yml:19
nic "eth0" {
  mac = "52:54:00:14:00:05"
}

# from nmstate/vlan-aware-ports.yml:7, nmstate/vlan-aware-ports.yml:29
nic "eth1" {
  mac = "52:54:00:14:00:06"
}

# from nmstate/vlan-aware-ports.yml:11
bridge "br2" {
  ports          = [nic.eth0, nic.eth1]
  stp            = false
  vlan_filtering = true
  # from nmstate/vlan-aware-ports.yml:20
  port {
    link = nic.eth0
    vids = [101, "200-299"]
  }
  # from nmstate/vlan-aware-ports.yml:30
  port {
    link = nic.eth1
    vids = []
    pvid = 101
  }
}
