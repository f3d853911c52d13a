# A two-port home media server (HP Microserver Gen8) in balance-rr for throughput.
# From the CentOS 7 how-to: ifcfg-bond0 with BONDING_OPTS="mode=0 miimon=100", a static
# address and a default gateway. No bridge, so no guest traffic crosses the bond.

nic "eno1" { mac = "52:54:00:00:03:01" }
nic "eno2" { mac = "52:54:00:00:03:02" }

bond "bond0" {
  slaves    = [nic.eno1, nic.eno2]
  mode      = "balance-rr"
  miimon    = 100
  addresses = ["198.51.100.40/24"]
  gateway   = "198.51.100.1"
}
