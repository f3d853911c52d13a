package watch

import (
	"encoding/binary"
	"net"
)

// Ethertypes of the frames the watcher composes.
const (
	etherTypeRARP = 0x8035
	etherTypeARP  = 0x0806
	etherTypeVLAN = 0x8100
)

// minFrame is the shortest untagged Ethernet frame without FCS; the kernel
// does not pad what an AF_PACKET socket sends, so we do.
const minFrame = 60

var broadcast = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// arpBody is an ARP/RARP payload for Ethernet and IPv4.
func arpBody(op uint16, sha net.HardwareAddr, spa net.IP, tha net.HardwareAddr, tpa net.IP) []byte {
	b := make([]byte, 28)
	binary.BigEndian.PutUint16(b[0:], 1)      // htype Ethernet
	binary.BigEndian.PutUint16(b[2:], 0x0800) // ptype IPv4
	b[4], b[5] = 6, 4
	binary.BigEndian.PutUint16(b[6:], op)
	copy(b[8:14], sha)
	copy(b[14:18], spa.To4())
	copy(b[18:24], tha)
	copy(b[24:28], tpa.To4())
	return b
}

// frame is dst, src, ethertype and payload, padded to the minimum size
// first and then given an 802.1Q tag when vlan is not 0 (as Open
// vSwitch's eth_push_vlan does, so the frame is still long enough once a
// switch strips the tag).
func frame(src net.HardwareAddr, ethertype uint16, payload []byte, vlan uint16) []byte {
	b := make([]byte, 14, minFrame+4)
	copy(b, broadcast)
	copy(b[6:], src)
	binary.BigEndian.PutUint16(b[12:], ethertype)
	b = append(b, payload...)
	for len(b) < minFrame {
		b = append(b, 0)
	}
	if vlan == 0 {
		return b
	}
	t := make([]byte, 0, len(b)+4)
	t = append(t, b[:12]...)
	t = binary.BigEndian.AppendUint16(t, etherTypeVLAN)
	t = binary.BigEndian.AppendUint16(t, vlan&0x0fff) // PCP 0, DEI 0
	return append(t, b[12:]...)
}

// rarpFrame is the learning frame Open vSwitch (bond_compose_learning_packet
// -> compose_rarp) and QEMU's announce-self send for a MAC: a broadcast
// RARP "reverse request" whose sender and target hardware addresses are
// the MAC and whose protocol addresses are 0. Switches learn the source;
// hosts ignore RARP.
func rarpFrame(mac net.HardwareAddr, vlan uint16) []byte {
	return frame(mac, etherTypeRARP, arpBody(3, mac, net.IPv4zero, mac, net.IPv4zero), vlan)
}

// garpFrame is a gratuitous ARP request for ip at mac (sender and target
// protocol address both ip, target hardware address zero, as the kernel's
// arp_notify sends it): switches learn the MAC and neighbours that cache
// ip refresh their entry.
func garpFrame(mac net.HardwareAddr, ip net.IP, vlan uint16) []byte {
	return frame(mac, etherTypeARP, arpBody(1, mac, ip, make(net.HardwareAddr, 6), ip), vlan)
}
