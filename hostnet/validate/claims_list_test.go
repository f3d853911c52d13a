package validate_test

// claimedInLab lists the rules TestKernelClaims (-tags lab) proves on the lab kernel; that
// test fails when one of them has no case.
var claimedInLab = map[string]bool{
	"ad-actor-system":           true,
	"arp-target-duplicate":      true,
	"arp-target-unusable":       true,
	"arp-targets-too-many":      true,
	"delay-without-miimon":      true,
	"duplicate-address":         true,
	"duplicate-name":            true,
	"gateway-outside-prefix":    true,
	"invalid-name":              true,
	"mac-not-unicast":           true,
	"miimon-with-arp":           true,
	"mtu-above-lower":           true,
	"multiple-default-gateways": true,
	"option-mode":               true,
	"reserved-name":             true,
	"route-host-bits":           true,
	"route-via-unreachable":     true,
	"route-is-connected":        true,
	"slave-not-in-bond":         true,
	"vlan-duplicate-id":         true,
	"vlan-id-range":             true,
}
