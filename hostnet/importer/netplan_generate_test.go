package importer

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// netplanRoot is where scripts/setup unpacks netplan's generator (dpkg -x, not installed).
const netplanRoot = "/var/cache/hostnet/netplan"

// networkdBond maps the [Bond] keys netplan generate writes for systemd-networkd to
// hostnet's option names.
var networkdBond = map[string]string{
	"Mode": "mode", "LACPTransmitRate": "lacp_rate", "MIIMonitorSec": "miimon", "TransmitHashPolicy": "xmit_hash_policy",
	"ARPIntervalSec": "arp_interval", "ARPIPTargets": "arp_ip_target", "ARPValidate": "arp_validate",
	"FailOverMACPolicy": "fail_over_mac", "UpDelaySec": "updelay", "DownDelaySec": "downdelay",
	"PrimaryReselectPolicy": "primary_reselect", "AdSelect": "ad_select", "MinLinks": "min_links",
	"GratuitousARP": "num_grat_arp", "AllSlavesActive": "all_slaves_active", "LearnPacketIntervalSec": "lp_interval",
}

// TestNetplanGenerate checks the netplan import against netplan itself: the real `netplan
// generate` (Debian's netplan.io) renders each corpus file for systemd-networkd into a
// scratch root, and every bond option, bridge setting, VLAN id and MTU it wrote into the
// .netdev files must be what the imported plan says, and the other way round.
func TestNetplanGenerate(t *testing.T) {
	gen := filepath.Join(netplanRoot, "usr/libexec/netplan/generate")
	if _, err := os.Stat(gen); err != nil {
		t.Fatalf("netplan's generator is not unpacked in %s (scripts/setup does it): %v", netplanRoot, err)
	}
	files, _ := filepath.Glob("testdata/netplan/*.yaml")
	if len(files) < 2 {
		t.Fatalf("netplan corpus: %v", files)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			root := t.TempDir()
			os.MkdirAll(filepath.Join(root, "etc/netplan"), 0o755)
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(root, "etc/netplan", filepath.Base(f)), b, 0o600)
			cmd := exec.Command(gen, "--root-dir", root)
			cmd.Env = []string{"LD_LIBRARY_PATH=" + filepath.Join(netplanRoot, "usr/lib/x86_64-linux-gnu")}
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("netplan generate: %v\n%s", err, out)
			}
			doc, err := ImportFiles("netplan", []string{f}, Options{MAC: testMAC})
			if err != nil {
				t.Fatal(err)
			}
			netdevs, _ := filepath.Glob(filepath.Join(root, "run/systemd/network/*.netdev"))
			if len(netdevs) == 0 {
				t.Fatal("netplan generate wrote no .netdev")
			}
			for _, nd := range netdevs {
				checkNetdev(t, doc, readUnit(t, nd))
			}
		})
	}
}

// readUnit reads a systemd unit file as section -> key -> value.
func readUnit(t *testing.T, path string) map[string]map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]map[string]string{}
	sec := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(l, "["):
			sec = strings.Trim(l, "[]")
			out[sec] = map[string]string{}
		case strings.Contains(l, "="):
			k, v, _ := strings.Cut(l, "=")
			out[sec][k] = v
		}
	}
	return out
}

func checkNetdev(t *testing.T, doc *Doc, u map[string]map[string]string) {
	t.Helper()
	name := u["NetDev"]["Name"]
	i := doc.byName[name]
	if i == nil {
		t.Errorf("netplan made %s, the import has no such interface", name)
		return
	}
	if m := u["NetDev"]["MTUBytes"]; m != "" && strconv.Itoa(i.MTU) != m {
		t.Errorf("%s: netplan mtu %s, import %d", name, m, i.MTU)
	}
	switch u["NetDev"]["Kind"] {
	case "bond":
		got := map[string]string{}
		for _, o := range i.BondOpts {
			if o.Name == "primary" {
				continue // networkd sets it on the slave (.network PrimarySlave=)
			}
			got[o.Name] = o.Value
			if o.List != nil {
				got[o.Name] = strings.Join(o.List, " ")
			}
		}
		want := map[string]string{}
		for k, v := range u["Bond"] {
			opt, ok := networkdBond[k]
			if !ok {
				t.Errorf("%s: netplan wrote [Bond] %s=%s, unknown to this test", name, k, v)
				continue
			}
			if strings.HasSuffix(k, "Sec") {
				ms, ok := netplanMillis(v)
				if !ok {
					t.Fatalf("%s: %s=%s", name, k, v)
				}
				v = ms
			}
			want[opt] = v
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: netplan %s = %q, import %q", name, k, v, got[k])
			}
		}
		for k, v := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("%s: import has %s = %q, which netplan does not set", name, k, v)
			}
		}
	case "bridge":
		stp, ok := u["Bridge"]["STP"]
		switch {
		case ok && (i.STP == nil || strconv.FormatBool(*i.STP) != stp):
			t.Errorf("%s: netplan STP=%s, import %v", name, stp, i.STP)
		case !ok && i.STP != nil && *i.STP:
			t.Errorf("%s: netplan leaves STP off, import turns it on", name)
		}
		if fd, ok := u["Bridge"]["ForwardDelaySec"]; ok && (i.ForwardDelay == nil || strconv.Itoa(*i.ForwardDelay) != fd) {
			t.Errorf("%s: netplan ForwardDelaySec=%s, import %v", name, fd, i.ForwardDelay)
		}
	case "vlan":
		if id := u["VLAN"]["Id"]; id != strconv.Itoa(i.ID) || i.Kind != VLAN {
			t.Errorf("%s: netplan VLAN id %s, import %s %d", name, id, i.Kind, i.ID)
		}
	default:
		if !slices.Contains([]string{"bond", "bridge", "vlan"}, u["NetDev"]["Kind"]) {
			t.Errorf("%s: netplan made a %s", name, u["NetDev"]["Kind"])
		}
	}
}
