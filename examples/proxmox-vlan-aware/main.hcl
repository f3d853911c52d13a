# A Proxmox VE host with a VLAN-aware bridge, as its /etc/network/interfaces sets it up:
#
#   auto bond0
#   iface bond0 inet manual
#       bond-slaves eno1 eno2
#       bond-miimon 100
#       bond-mode 802.3ad
#       bond-xmit-hash-policy layer3+4
#
#   auto vmbr0
#   iface vmbr0 inet manual
#       bridge-ports bond0
#       bridge-stp off
#       bridge-fd 0
#       bridge-vlan-aware yes
#       bridge-vids 2-4094
#
#   auto vmbr0.50
#   iface vmbr0.50 inet static
#       address 198.51.100.11/24
#       gateway 198.51.100.1
#
# One bridge carries every VLAN (2-4094 on the bond), instead of a VLAN device and a bridge
# per VLAN: a handful of netdevs instead of 8190. Guests get their VLAN on their own port
# (a libvirt portgroup's vlan tag; `hostnet watch` tags the tap when the guest starts).
# The host itself is managed in VLAN 50 (vmbr0.50): hostnet puts the bridge in VLAN 50.

host { name = "pve1" }

switch { lacp = true }

nic "eno1" { mac = "52:54:00:00:0a:01" }
nic "eno2" { mac = "52:54:00:00:0a:02" }

bond "bond0" {
  slaves           = [nic.eno1, nic.eno2]
  mode             = "802.3ad"
  miimon           = 100
  lacp_rate        = "fast"
  xmit_hash_policy = "layer3+4"
}

bridge "vmbr0" {
  ports          = [bond.bond0]
  stp            = false
  forward_delay  = 0
  vlan_filtering = true
  port {
    link = bond.bond0
    vids = ["2-4094"] # tagged; untagged frames stay in VLAN 1 (pvid)
  }
}

vlan "mgmt" {
  link      = bridge.vmbr0 # named vmbr0.50
  id        = 50
  addresses = ["198.51.100.11/24"]
  gateway   = "198.51.100.1"
}

# The libvirt network guests attach to; each portgroup puts a guest in one VLAN.
libvirt_network "vmbr0" {
  bridge    = bridge.vmbr0
  autostart = true
}
