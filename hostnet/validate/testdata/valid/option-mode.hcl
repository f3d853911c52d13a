# Each option in a mode it applies to: ARP monitoring in active-backup,
# packets_per_slave in balance-rr, lacp_rate/ad_* in 802.3ad, tlb_dynamic_lb in balance-alb.
nic "uplink0" { mac = "52:54:00:00:00:01" }
nic "uplink1" { mac = "52:54:00:00:00:02" }
bond "bond0" {
  slaves        = [nic.uplink0, nic.uplink1]
  mode          = "active-backup"
  arp_interval  = 200
  arp_ip_target = ["198.51.100.1"]
  arp_validate  = "all"
  primary       = nic.uplink0
  fail_over_mac = "follow"
  num_grat_arp  = 3
}
nic "uplink2" { mac = "52:54:00:00:00:03" }
nic "uplink3" { mac = "52:54:00:00:00:04" }
bond "bond1" {
  slaves            = [nic.uplink2, nic.uplink3]
  miimon            = 100
  packets_per_slave = 4
  resend_igmp       = 2
}
nic "uplink4" { mac = "52:54:00:00:00:05" }
nic "uplink5" { mac = "52:54:00:00:00:06" }
bond "bond2" {
  slaves            = [nic.uplink4, nic.uplink5]
  mode              = "802.3ad"
  lacp_rate         = "fast"
  ad_select         = "bandwidth"
  ad_actor_sys_prio = 100
  xmit_hash_policy  = "layer3+4"
}
nic "uplink6" { mac = "52:54:00:00:00:07" }
nic "uplink7" { mac = "52:54:00:00:00:08" }
bond "bond3" {
  slaves           = [nic.uplink6, nic.uplink7]
  mode             = "balance-alb"
  tlb_dynamic_lb   = 0
  xmit_hash_policy = "layer2+3"
  lp_interval      = 2
  slave {
    nic  = nic.uplink6
    prio = 10
  }
}
