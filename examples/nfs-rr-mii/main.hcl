# NFS server with three NICs in balance-rr behind a static LAG, MII link monitoring.
# From the KVM wiki how-to: modprobe.conf "options bond0 miimon=80 mode=0" and
# ifcfg-eth1..3 pinned by HWADDR. Round-robin sends one flow over all three ports, so the
# switch must group them (EtherChannel "mode on"); the switch block says it does.

host { name = "nfs1" }

switch {
  static_lag = true
}

nic "eth1" { mac = "52:54:00:00:01:01" }
nic "eth2" { mac = "52:54:00:00:01:02" }
nic "eth3" { mac = "52:54:00:00:01:03" }

bond "bond0" {
  slaves    = [nic.eth1, nic.eth2, nic.eth3]
  mode      = 0 # balance-rr, by number as modprobe accepts it
  miimon    = 80
  addresses = ["198.51.100.10/24"]
  gateway   = "198.51.100.1"
}
