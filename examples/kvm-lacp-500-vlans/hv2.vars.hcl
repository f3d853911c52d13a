# Values for host hv2: another address, the same VLANs.
address = "198.51.100.71/24"
