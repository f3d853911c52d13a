# Imported by `hostnet import modprobe` from:
#   modprobe/howto-rr.conf
# 1 setting(s) could not be carried over: see the diagnostics of the import.

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
