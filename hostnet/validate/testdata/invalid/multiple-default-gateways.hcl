# expect: error 10 "More than one IPv4 default route"
# expect: error 19 "More than one IPv4 default route"
# Two interface gateways (main table, metric 0), and a route "default" with metric 0.
bridge "br0" {
  addresses = ["198.51.100.10/24"]
  gateway   = "198.51.100.1"
}
bridge "br1" {
  addresses = ["203.0.113.10/24"]
  gateway   = "203.0.113.1"
}
route "backup" { # another metric: a backup route, fine
  to     = "default"
  via    = "203.0.113.2"
  metric = 100
}
route "other" {
  via = "203.0.113.3"
  to  = "default"
}
