package coexist

import (
	"fmt"
	"strings"

	"github.com/godbus/dbus/v5"
)

// NetworkManager's D-Bus API (org.freedesktop.NetworkManager, NetworkManager 1.x).
const (
	nmBus          = "org.freedesktop.NetworkManager"
	nmPath         = "/org/freedesktop/NetworkManager"
	nmDevice       = nmBus + ".Device"
	nmStateUnmanag = 10 // NM_DEVICE_STATE_UNMANAGED
	// maxNMDevices bounds how many devices are asked about (4094 VLANs and their bridges
	// fit).
	maxNMDevices = 16384
)

// nmStates names NM_DEVICE_STATE values for messages.
var nmStates = map[uint32]string{0: "unknown", 10: "unmanaged", 20: "unavailable", 30: "disconnected", 40: "prepare",
	50: "config", 60: "need-auth", 70: "ip-config", 80: "ip-check", 90: "secondaries", 100: "activated",
	110: "deactivating", 120: "failed"}

// DetectNMDevices asks a running NetworkManager, over the system bus, which of the
// targets it manages now: the device state of each target (by interface name, or by
// hardware address for NICs), conflicting unless it is unmanaged. With no system bus or
// no NetworkManager on it, it reports nothing (the keyfile detector covers a stopped one).
func DetectNMDevices(targets []Iface) ([]Conflict, error) {
	conn, err := dbus.ConnectSystemBus()
	if err != nil {
		return nil, nil
	}
	defer conn.Close()
	var owner string
	if err := conn.BusObject().Call("org.freedesktop.DBus.GetNameOwner", 0, nmBus).Store(&owner); err != nil {
		return nil, nil // NetworkManager does not run
	}
	var devs []dbus.ObjectPath
	if err := conn.Object(nmBus, nmPath).Call(nmBus+".GetAllDevices", 0).Store(&devs); err != nil {
		return nil, fmt.Errorf("NetworkManager over D-Bus: GetAllDevices: %w", err)
	}
	if len(devs) > maxNMDevices {
		devs = devs[:maxNMDevices]
	}
	byName := map[string]Iface{}
	for _, t := range targets {
		byName[t.Name] = t
	}
	var out []Conflict
	for _, d := range devs {
		var props map[string]dbus.Variant
		if err := conn.Object(nmBus, d).Call("org.freedesktop.DBus.Properties.GetAll", 0, nmDevice).Store(&props); err != nil {
			continue // gone meanwhile
		}
		name, _ := props["Interface"].Value().(string)
		hw, _ := props["HwAddress"].Value().(string)
		state, _ := props["State"].Value().(uint32)
		t, ok := byName[name]
		if !ok {
			for _, c := range targets {
				if c.MAC != nil && sameMAC(hw, c.MAC) {
					t, ok = c, true
					break
				}
			}
		}
		if !ok || state == nmStateUnmanag {
			continue
		}
		st := nmStates[state]
		if st == "" {
			st = fmt.Sprint(state)
		}
		out = append(out, Conflict{Manager: NetworkManager, File: "D-Bus " + string(d), Iface: t.Name,
			How: fmt.Sprintf("the running NetworkManager has %s (%s) in state %s", name, strings.ToLower(hw), st),
			Fix: "hostnet install writes " + NMDropIn + " (unmanaged-devices); NetworkManager lets go once it reloads its configuration (nmcli general reload conf) or restarts.", Resolvable: true})
	}
	return out, nil
}
