# Imported by `hostnet import modprobe` from:
#   modprobe/arp.conf
# 3 setting(s) could not be carried over: listed at the end of this file.

# inferred: an 802.3ad bond is configured, so the switch ports answer LACP
switch {
  lacp = true
}

# from modprobe/arp.conf:1
nic "eth0" {
  mac = "52:54:00:ee:97:24"
}

# from modprobe/arp.conf:1
nic "eth1" {
  mac = "52:54:00:ee:98:b7"
}

# from modprobe/arp.conf:2
nic "eth2" {
  mac = "52:54:00:ee:9a:4a"
}

# from modprobe/arp.conf:2
nic "eth3" {
  mac = "52:54:00:ee:9b:dd"
}

# from modprobe/arp.conf:1, modprobe/arp.conf:3
bond "bond0" {
  slaves        = [nic.eth0, nic.eth1]
  mode          = "balance-rr"
  arp_interval  = 200
  arp_ip_target = ["203.0.113.20", "203.0.113.21"]
}

# from modprobe/arp.conf:2, modprobe/arp.conf:4
bond "bond1" {
  slaves           = [nic.eth2, nic.eth3]
  mode             = 4
  miimon           = 100
  lacp_rate        = 1
  xmit_hash_policy = "layer2+3"
}

# Not carried over (the import's diagnostics):
#   modprobe/arp.conf:5: warning: install bond2 /sbin/modprobe --ignore-install bonding -o bond2 mode=1: not carried over (hostnet runs no commands and never loads or unloads modules by plan)
#   modprobe/arp.conf:1: warning: bond bond0: slaves eth0 eth1 from --slaves (modprobe options do not name them)
#   modprobe/arp.conf:2: warning: bond bond1: slaves eth2 eth3 from --slaves (modprobe options do not name them)
