// Package bridge owns what hostnet knows and does about a Linux bridge whose
// port is a bond (guests behind the bridge, the bond as uplink):
//
//   - Evidence: the lab's verdict for each bond mode under a bridge against
//     each kind of switch, measured by the lab tests of this package (which
//     fail when the kernel behaves differently), for validation to cite;
//   - the bridge, port and FDB settings that keep guest MACs where they
//     belong (explicit bridge MAC, arp_notify, port learning and flooding,
//     ageing time, static sticky FDB entries), as library calls for the
//     engine, each read back from the kernel in the lab tests.
//
// Re-announcing guest MACs after a bond failover lives in bridge/watch.
// All kernel access is netlink (vishvananda/netlink, raw netlink where it
// lacks an attribute) or /proc/sys, never a shell.
package bridge
