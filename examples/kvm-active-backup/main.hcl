# A KVM host: an active-backup bond under br0 (host address), plus tagged VLANs on the
# bond, each with its own bridge for guests. active-backup needs no switch configuration
# and keeps guest MACs on one port at a time, so guests behind the bridge work.

host { name = "hv1" }

nic "uplink0" { mac = "52:54:00:00:05:01" }
nic "uplink1" { mac = "52:54:00:00:05:02" }

bond "bond0" {
  slaves           = [nic.uplink0, nic.uplink1]
  mode             = "active-backup"
  miimon           = 100
  primary          = nic.uplink0
  primary_reselect = "better"
  num_grat_arp     = 3
}

bridge "br0" {
  ports     = [bond.bond0]
  stp       = false
  addresses = ["198.51.100.60/24"]
  gateway   = "198.51.100.1"
}

vlan "guests" {
  for_each = toset([10, 20, 30])
  link     = bond.bond0
  id       = each.value
}

bridge "guests" {
  for_each = vlan.guests
  name     = "br${each.key}"
  ports    = [each.value]
  stp      = false
}

# The libvirt networks guests attach to (<interface type='network'>): one on br0, one per
# VLAN bridge. hostnet defines and starts them only after their bridge exists.
libvirt_network "host" {
  name   = "host-br0"
  bridge = bridge.br0
}

libvirt_network "guests" {
  for_each = bridge.guests
  name     = "vlan${each.key}"
  bridge   = each.value
}
