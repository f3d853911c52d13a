# Imported by `hostnet import modprobe` from:
#   modprobe/howto-rr.conf
# 1 setting(s) could not be carried over: listed at the end of this file.

# from modprobe/howto-rr.conf:2
nic "eth0" {
  mac = "52:54:00:ee:97:24"
}

# from modprobe/howto-rr.conf:2
nic "eth1" {
  mac = "52:54:00:ee:98:b7"
}

# from modprobe/howto-rr.conf:2, modprobe/howto-rr.conf:3
bond "bond0" {
  slaves = [nic.eth0, nic.eth1]
  mode   = 0
  miimon = 80
}

# Not carried over (the import's diagnostics):
#   modprobe/howto-rr.conf:2: warning: bond bond0: slaves eth0 eth1 from --slaves (modprobe options do not name them)
