package watch

import (
	"encoding/binary"
	"reflect"
	"testing"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// linkMessage builds one rtnetlink link message as the kernel sends it.
func linkMessage(typ uint16, index int32, attrs ...*nl.RtAttr) []byte {
	ifi := nl.NewIfInfomsg(unix.AF_UNSPEC)
	ifi.Index = index
	body := ifi.Serialize()
	for _, a := range attrs {
		body = append(body, a.Serialize()...)
	}
	b := make([]byte, unix.SizeofNlMsghdr, unix.SizeofNlMsghdr+len(body))
	binary.NativeEndian.PutUint32(b[0:], uint32(unix.SizeofNlMsghdr+len(body)))
	binary.NativeEndian.PutUint16(b[4:], typ)
	return append(b, body...)
}

func bondInfo(active uint32) *nl.RtAttr {
	li := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
	li.AddRtAttr(nl.IFLA_INFO_KIND, nl.NonZeroTerminated("bond"))
	data := li.AddRtAttr(nl.IFLA_INFO_DATA|unix.NLA_F_NESTED, nil)
	data.AddRtAttr(nl.IFLA_BOND_MODE, []byte{1})
	if active != 0 {
		data.AddRtAttr(nl.IFLA_BOND_ACTIVE_SLAVE, nl.Uint32Attr(active))
	}
	return li
}

func TestParseLinkMsgs(t *testing.T) {
	name := func(s string) *nl.RtAttr { return nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(s)) }
	u32 := func(typ int, v uint32) *nl.RtAttr { return nl.NewRtAttr(typ, nl.Uint32Attr(v)) }
	for _, tc := range []struct {
		name string
		in   []byte
		want []linkMsg
	}{
		{"failover event with the new active slave",
			linkMessage(unix.RTM_NEWLINK, 7, name("bond0"), u32(unix.IFLA_EVENT, 3), bondInfo(5)),
			[]linkMsg{{Index: 7, Name: "bond0", Kind: "bond", Event: iflaEventBondingFailover, ActiveSlave: 5}}},
		{"notify peers",
			linkMessage(unix.RTM_NEWLINK, 7, name("bond0"), bondInfo(5), u32(unix.IFLA_EVENT, 4)),
			[]linkMsg{{Index: 7, Name: "bond0", Kind: "bond", Event: iflaEventNotifyPeers, ActiveSlave: 5}}},
		{"bond without active slave",
			linkMessage(unix.RTM_NEWLINK, 7, name("bond0"), bondInfo(0)),
			[]linkMsg{{Index: 7, Name: "bond0", Kind: "bond"}}},
		{"slave: master, no bond data",
			linkMessage(unix.RTM_NEWLINK, 5, name("eth0"), u32(unix.IFLA_MASTER, 7)),
			[]linkMsg{{Index: 5, Name: "eth0", Master: 7}}},
		{"deleted",
			linkMessage(unix.RTM_DELLINK, 7, name("bond0"), bondInfo(0)),
			[]linkMsg{{Deleted: true, Index: 7, Name: "bond0", Kind: "bond"}}},
		{"two messages in one datagram",
			append(linkMessage(unix.RTM_NEWLINK, 5, name("eth0")), linkMessage(unix.RTM_NEWLINK, 6, name("eth1"))...),
			[]linkMsg{{Index: 5, Name: "eth0"}, {Index: 6, Name: "eth1"}}},
		{"other message types are ignored",
			linkMessage(unix.RTM_NEWADDR, 5, name("eth0")), nil},
		{"a truncated attribute ends the message",
			func() []byte {
				b := linkMessage(unix.RTM_NEWLINK, 5, name("eth0"), u32(unix.IFLA_MASTER, 7))
				binary.NativeEndian.PutUint16(b[len(b)-8:], 200) // IFLA_MASTER claims 200 bytes
				return b
			}(),
			[]linkMsg{{Index: 5, Name: "eth0"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseLinkMsgs(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
