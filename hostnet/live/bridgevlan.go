package live

import (
	"fmt"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"

	"github.com/hostnet/hostnet/hostnet/vid"
)

// Bridge VLAN constants of linux/if_bridge.h, which x/sys/unix lacks.
const (
	BridgeFlagsMaster = 1 // BRIDGE_FLAGS_MASTER: the request is for the port's bridge
	BridgeFlagsSelf   = 2 // BRIDGE_FLAGS_SELF: the request is for the device itself

	IFLABridgeFlags    = 0 // IFLA_BRIDGE_FLAGS (u16) in IFLA_AF_SPEC
	IFLABridgeVLANInfo = 2 // IFLA_BRIDGE_VLAN_INFO: struct bridge_vlan_info {u16 flags; u16 vid}

	VLANInfoMaster     = 1 << 0 // BRIDGE_VLAN_INFO_MASTER
	VLANInfoPVID       = 1 << 1 // BRIDGE_VLAN_INFO_PVID: untagged ingress goes to this VLAN
	VLANInfoUntagged   = 1 << 2 // BRIDGE_VLAN_INFO_UNTAGGED: egress untagged
	VLANInfoRangeBegin = 1 << 3 // BRIDGE_VLAN_INFO_RANGE_BEGIN
	VLANInfoRangeEnd   = 1 << 4 // BRIDGE_VLAN_INFO_RANGE_END
	VLANInfoBrEntry    = 1 << 5 // BRIDGE_VLAN_INFO_BRENTRY: a VLAN of the bridge device itself

	rtextFilterBRVLANCompressed = 1 << 2 // RTEXT_FILTER_BRVLAN_COMPRESSED: ranges, not one entry per VID
)

// BridgeVLANs is the VLAN membership of a bridge port, or of a bridge itself (its own
// entries, BRIDGE_VLAN_INFO_BRENTRY), as the kernel reports it.
type BridgeVLANs struct {
	VIDs     vid.Set `json:"vids"`              // every member VLAN
	PVID     int     `json:"pvid,omitempty"`    // 0 = none
	Untagged vid.Set `json:"untagged,omitzero"` // members that egress untagged
}

// String is the membership as `bridge vlan` shows it, compressed: "1 pvid untagged, 2-4094".
func (v *BridgeVLANs) String() string {
	if v == nil {
		return ""
	}
	return FormatVLANs(v.VIDs, v.PVID, v.Untagged)
}

// FormatVLANs renders a membership: ranges of members with the same flags, the PVID and
// untagged ones marked ("none" when empty).
func FormatVLANs(vids vid.Set, pvid int, untagged vid.Set) string {
	if vids.Empty() {
		return "none"
	}
	return FormatGroups(Groups(vids, pvid, untagged))
}

// FormatGroups renders groups as `bridge vlan` would: "1 pvid untagged, 2-4094".
func FormatGroups(gs []Group) string {
	out := ""
	for _, g := range gs {
		if out != "" {
			out += ", "
		}
		out += g.Range.String()
		if g.Flags&VLANInfoPVID != 0 {
			out += " pvid"
		}
		if g.Flags&VLANInfoUntagged != 0 {
			out += " untagged"
		}
	}
	return out
}

// Group is a run of consecutive VLANs with the same flags (VLANInfoPVID, VLANInfoUntagged):
// one IFLA_BRIDGE_VLAN_INFO entry, or a RANGE_BEGIN/RANGE_END pair.
type Group struct {
	Range vid.Range
	Flags uint16
}

// Groups splits a membership into runs of consecutive VLANs with the same flags; the PVID
// is always alone (the kernel refuses a range with the PVID flag).
func Groups(vids vid.Set, pvid int, untagged vid.Set) []Group {
	var out []Group
	vids.Each(func(v int) {
		var f uint16
		if v == pvid {
			f |= VLANInfoPVID
		}
		if untagged.Has(v) {
			f |= VLANInfoUntagged
		}
		if n := len(out); n > 0 && f&VLANInfoPVID == 0 && out[n-1].Flags == f && out[n-1].Range.Hi == v-1 {
			out[n-1].Range.Hi = v
			return
		}
		out = append(out, Group{vid.Range{Lo: v, Hi: v}, f})
	})
	return out
}

// readBridgeVLANs runs one AF_BRIDGE link dump with compressed VLAN ranges and sets
// Link.BridgeVLANs of every bridge and bridge port in byIndex.
func (c *Conn) readBridgeVLANs(byIndex map[int]*Link) error {
	body := nl.NewIfInfomsg(unix.AF_BRIDGE).Serialize()
	body = append(body, nl.NewRtAttr(unix.IFLA_EXT_MASK, nl.Uint32Attr(rtextFilterBRVLANCompressed)).Serialize()...)
	err := c.dumpRetry(unix.RTM_GETLINK, body, unix.RTM_NEWLINK, func() {
		for _, l := range byIndex {
			l.BridgeVLANs = nil
		}
	}, func(data []byte) error {
		if len(data) < unix.SizeofIfInfomsg || data[0] != unix.AF_BRIDGE {
			return nil
		}
		l := byIndex[int(int32(native.Uint32(data[4:8])))]
		if l == nil {
			return nil
		}
		forAttrs(data[unix.SizeofIfInfomsg:], func(t uint16, v []byte) {
			if t&^unix.NLA_F_NESTED != unix.IFLA_AF_SPEC {
				return
			}
			vl := parseVLANInfo(v)
			if vl == nil {
				return
			}
			l.BridgeVLANs = vl
		})
		return nil
	})
	if err != nil {
		return fmt.Errorf("live: bridge vlan dump: %w", err)
	}
	return nil
}

// parseVLANInfo decodes the IFLA_BRIDGE_VLAN_INFO entries of an IFLA_AF_SPEC (single
// entries and RANGE_BEGIN/RANGE_END pairs); nil when it has none.
func parseVLANInfo(spec []byte) *BridgeVLANs {
	var out *BridgeVLANs
	begin := -1
	forAttrs(spec, func(t uint16, v []byte) {
		if t != IFLABridgeVLANInfo || len(v) < 4 {
			return
		}
		if out == nil {
			out = &BridgeVLANs{}
		}
		flags, id := native.Uint16(v[0:2]), int(native.Uint16(v[2:4]))
		lo := id
		switch {
		case flags&VLANInfoRangeBegin != 0:
			begin = id
			return
		case flags&VLANInfoRangeEnd != 0 && begin > 0:
			lo, begin = begin, -1
		}
		for x := lo; x <= id; x++ {
			out.VIDs.Add(x)
			if flags&VLANInfoUntagged != 0 {
				out.Untagged.Add(x)
			}
		}
		if flags&VLANInfoPVID != 0 {
			out.PVID = id
		}
	})
	return out
}

// VLANRequest is the AF_BRIDGE request that adds (or changes the flags of) the VLAN groups
// on the device with ifindex index, or removes them (del), as `bridge vlan add|del dev DEV
// vid LO-HI [pvid] [untagged] [self|master]` does: RTM_SETLINK or RTM_DELLINK with every
// group in one IFLA_AF_SPEC, ranges as RANGE_BEGIN/RANGE_END pairs. self addresses the
// bridge's own VLANs, else those of the port.
func VLANRequest(del bool, index int, self bool, groups []Group) Request {
	b := make([]byte, unix.SizeofIfInfomsg)
	b[0] = unix.AF_BRIDGE
	native.PutUint32(b[4:8], uint32(int32(index)))
	spec := nl.NewRtAttr(unix.IFLA_AF_SPEC, nil)
	flags := uint16(BridgeFlagsMaster)
	if self {
		flags = BridgeFlagsSelf
	}
	spec.AddRtAttr(IFLABridgeFlags, nl.Uint16Attr(flags))
	info := func(f uint16, v int) []byte {
		x := make([]byte, 4)
		native.PutUint16(x[0:2], f)
		native.PutUint16(x[2:4], uint16(v))
		return x
	}
	for _, g := range groups {
		if g.Range.Lo == g.Range.Hi {
			spec.AddRtAttr(IFLABridgeVLANInfo, info(g.Flags, g.Range.Lo))
			continue
		}
		spec.AddRtAttr(IFLABridgeVLANInfo, info(g.Flags|VLANInfoRangeBegin, g.Range.Lo))
		spec.AddRtAttr(IFLABridgeVLANInfo, info(g.Flags|VLANInfoRangeEnd, g.Range.Hi))
	}
	b = append(b, spec.Serialize()...)
	typ := uint16(unix.RTM_SETLINK)
	if del {
		typ = unix.RTM_DELLINK
	}
	return Request{Type: typ, Body: b}
}

// VLANChange is what takes a membership from have to want: the VLANs to remove, and those
// to add or whose flags change, as groups for VLANRequest. Both are empty when have is
// want already.
func VLANChange(have, want *BridgeVLANs) (del, add []Group) {
	gone := have.VIDs.Minus(&want.VIDs)
	var changed vid.Set
	want.VIDs.Each(func(v int) {
		if !have.VIDs.Has(v) || (have.PVID == v) != (want.PVID == v) || have.Untagged.Has(v) != want.Untagged.Has(v) {
			changed.Add(v)
		}
	})
	if !gone.Empty() {
		del = Groups(gone, 0, vid.Set{})
	}
	if !changed.Empty() {
		add = Groups(changed, want.PVID, want.Untagged)
	}
	return del, add
}
