# A Debian host with eth1 + eth2 bonded, from the /etc/network/interfaces how-to:
#   bond_mode balance-rr / bond_miimon 100 / up ifenslave bond0 eth1 eth2
#   options mode=0 miimon=100 downdelay=200 updelay=200
# updelay and downdelay are multiples of miimon, as the kernel requires.

nic "eth1" { mac = "52:54:00:00:04:01" }
nic "eth2" { mac = "52:54:00:00:04:02" }

bond "bond0" {
  slaves    = [nic.eth1, nic.eth2]
  mode      = 0
  miimon    = 100
  updelay   = 200
  downdelay = 200
  addresses = ["198.51.100.50/24"]
  gateway   = "198.51.100.1"
}
