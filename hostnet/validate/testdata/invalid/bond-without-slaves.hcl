# expect: error 4 "Bond without slaves"
# An empty bond never has carrier.
bond "bond0" {
  slaves = []
  mode   = "active-backup"
  miimon = 100
}
