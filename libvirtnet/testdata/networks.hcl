# Bridge-mode libvirt networks as an operator writes them: one shared network with QoS
# portgroups on br0, and one network per tenant VLAN bridge.
nic "uplink0" { mac = "52:54:00:12:00:01" }
nic "uplink1" { mac = "52:54:00:12:00:02" }

bond "bond0" {
  slaves = [nic.uplink0, nic.uplink1]
  mode   = "active-backup"
  miimon = 100
}

bridge "br0" {
  ports     = [bond.bond0]
  addresses = ["198.51.100.10/24"]
}

vlan "tenant" {
  for_each = range(100, 103)
  link     = bond.bond0
  id       = each.value
}

bridge "tenant" {
  for_each = vlan.tenant
  name     = "br${each.key}"
  ports    = [each.value]
}

libvirt_network "lan" {
  name             = "hostnet-lan"
  bridge           = bridge.br0
  mtu              = 1500
  inbound_average  = 125000   # KiB/s, aggregate of all guests
  outbound_average = 125000

  portgroup {
    name            = "standard"
    default         = true
    inbound_average = 12500
    inbound_peak    = 25000
    inbound_burst   = 1024
  }
  portgroup {
    name             = "bulk"
    inbound_average  = 1250
    outbound_average = 1250
  }
  portgroup {
    name = "unlimited"
  }
}

libvirt_network "tenant" {
  for_each  = bridge.tenant
  bridge    = each.value
  autostart = false
}
