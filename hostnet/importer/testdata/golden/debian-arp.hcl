# Imported by `hostnet import interfaces` from:
#   interfaces/debian-arp/interfaces
# 1 setting(s) could not be carried over: listed at the end of this file.

# from interfaces/debian-arp/interfaces:8
nic "eth0" {
  mac = "52:54:00:ee:97:24"
}

# from interfaces/debian-arp/interfaces:8
nic "eth1" {
  mac = "52:54:00:ee:98:b7"
}

# from interfaces/debian-arp/interfaces:8
nic "eth2" {
  mac = "52:54:00:ee:9a:4a"
}

# from interfaces/debian-arp/interfaces:4
bond "bond0" {
  slaves        = [nic.eth0, nic.eth1, nic.eth2]
  mode          = "balance-rr"
  arp_interval  = 200
  arp_ip_target = ["203.0.113.20", "203.0.113.21"]
  arp_validate  = "none"
  addresses     = ["203.0.113.10/24"]
  gateway       = "203.0.113.1"
}

# Not carried over (the import's diagnostics):
#   interfaces/debian-arp/interfaces:13: warning: bond0: up /sbin/ifenslave bond0 eth0 eth1 eth2: not carried over (hostnet runs no commands and has no equivalent)
