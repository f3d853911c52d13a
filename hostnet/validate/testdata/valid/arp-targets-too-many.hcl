# Exactly 16 targets, the kernel's maximum (modprobe's comma spelling for one of them).
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves        = [nic.uplink0, nic.uplink1]
  mode          = "active-backup"
  arp_interval  = 500
  arp_ip_target = concat([for i in range(1, 15) : "198.51.100.${i}"], ["203.0.113.1,203.0.113.2"])
}
