# The same NFS server with ARP link monitoring instead of MII: the bond probes the NFS
# clients, so a dead path beyond the switch takes a port out, which MII cannot see.
# From the how-to: "options bond0 arp_interval=80 arp_ip_target=<client1>,<client2> mode=0".

host { name = "nfs1" }

switch {
  static_lag = true
}

nic "eth1" { mac = "52:54:00:00:02:01" }
nic "eth2" { mac = "52:54:00:00:02:02" }
nic "eth3" { mac = "52:54:00:00:02:03" }

bond "bond0" {
  slaves        = [nic.eth1, nic.eth2, nic.eth3]
  mode          = "balance-rr"
  arp_interval  = 80
  arp_ip_target = ["198.51.100.11", "198.51.100.12"] # the two NFS clients
  addresses     = ["198.51.100.10/24"]
  gateway       = "198.51.100.1"
}
