# expect: error 11 "Option not valid for mode"
# A per-slave prio outside modes 1, 5, 6: the diagnostic points at prio, not at the block.
nic "uplink0" { mac = "52:54:00:00:00:01" }
bond "bond0" {
  slaves = [nic.uplink0]
  mode   = "balance-rr"
  miimon = 100
  slave {
    nic      = nic.uplink0
    queue_id = 1
    prio     = 5
  }
}
