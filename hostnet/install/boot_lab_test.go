//go:build lab

package install

import (
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"libvirt.org/go/libvirt"

	"github.com/hostnet/hostnet/hostnet/coexist"
	"github.com/hostnet/hostnet/hostnet/lab"
	"github.com/hostnet/hostnet/hostnet/lab/topo"
	"github.com/hostnet/hostnet/hostnet/plan"
	"github.com/hostnet/hostnet/libvirtnet"
)

// The boot test runs in three processes: the test on the host builds hostnet and boots a
// lab whose job is this binary's set-up phase (topology, plan, units, then systemd as
// PID 1); systemd then runs this binary's check phase as the lab's job unit. TestMain
// sends the phases to their functions: they are not tests of their own.
const phaseArg = "hostnet-boot-phase"

func TestMain(m *testing.M) {
	if len(os.Args) == 3 && os.Args[1] == phaseArg {
		var err error
		switch os.Args[2] {
		case "setup":
			err = bootSetup()
		case "check":
			err = bootCheck()
		default:
			err = fmt.Errorf("unknown phase %q", os.Args[2])
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "FAIL: boot %s: %v\n", os.Args[2], err)
			if lab.Booted() {
				dump()
			}
			os.Exit(1)
		}
		fmt.Println("PASS: boot", os.Args[2])
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// The plan: two NICs with kernel-style names that are not their labels, an active-backup
// bond under br0, two VLANs with their bridges, a libvirt network on each bridge.
const bootPlan = `
nic "uplink0" { mac = "52:54:00:09:00:01" }
nic "uplink1" { mac = "52:54:00:09:00:02" }

bond "bond0" {
  slaves = [nic.uplink0, nic.uplink1]
  mode   = "active-backup"
  miimon = 100
}

bridge "br0" {
  ports     = [bond.bond0]
  addresses = [%s]
}

vlan "tenant" {
  for_each = range(100, %d)
  link     = bond.bond0
  id       = each.value
}

bridge "tenant" {
  for_each = vlan.tenant
  name     = "br${each.key}"
  ports    = [each.value]
}

libvirt_network "lan" {
  bridge    = bridge.br0
  autostart = true
}

libvirt_network "tenant" {
  for_each  = bridge.tenant
  bridge    = each.value
  autostart = true
}
`

const (
	planDir     = "/root/hv-plan"
	brokenDir   = "/root/hv-plan-broken"
	wiredConfig = "/etc/systemd/network/20-wired.network"
	guestIP     = "198.51.100.50/24"
	remoteIP    = "198.51.100.60"
)

var nics = map[string]string{"enp1s0f0": "52:54:00:09:00:01", "enp1s0f1": "52:54:00:09:00:02"}

// TestBootWithSystemd boots systemd as PID 1 in the lab with hostnet installed: the
// boot unit must bring the plan up before libvirtd and network.target, libvirt must
// autostart its networks on existing bridges, watch must run, networkd (enabled, with a
// .network file matching en*) must leave the plan's links alone, and a guest on br0 must
// reach a remote host. Then a re-installed plan that the kernel refuses part of is applied
// by the unit: it must restore, log at priority err and show in hostnet status.
func TestBootWithSystemd(t *testing.T) {
	if err := lab.Available(); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "hostnet")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/hostnet/hostnet/cmd/hostnet").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	res, err := lab.Run(t.Context(), lab.Options{
		Timeout: 5 * time.Minute,
		Env:     map[string]string{"HOSTNET_BIN": bin},
		Stdout:  &out, Stderr: &out,
		Booted: []string{exe, phaseArg, "check"},
	}, []string{exe, phaseArg, "setup"})
	t.Logf("lab output:\n%s", out.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("boot test: %v in the lab", res.Duration.Round(time.Millisecond))
	if res.ExitCode != 0 || !strings.Contains(out.String(), "PASS: boot check") {
		t.Fatalf("exit %d", res.ExitCode)
	}
}

func hostnet(args ...string) (string, error) {
	out, err := exec.Command(os.Getenv("HOSTNET_BIN"), args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("hostnet %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// bootSetup runs before the boot, as the lab's job, in its throwaway root.
func bootSetup() error {
	t, err := topo.New()
	if err != nil {
		return err
	}
	for name, mac := range nics {
		m, _ := net.ParseMAC(mac)
		if err := t.AddNICNamed(name, name, m); err != nil { // the names udev gives these NICs
			return err
		}
	}
	// A NIC the plan does not have: networkd configures it, which shows that networkd
	// runs and would have taken the plan's NICs without hostnet's drop-in.
	if err := t.AddNICNamed("enp9s0", "enp9s0", net.HardwareAddr{0x52, 0x54, 0, 9, 0, 9}); err != nil {
		return err
	}
	if _, err := t.AddRemote("remote", remoteIP+"/24"); err != nil {
		return err
	}
	// A bridge the plan does not have, with an address: NetworkManager takes it over as
	// an externally configured device (it leaves veths alone by its udev rules, so the
	// NICs cannot show that), as it would the plan's bridges without hostnet's drop-in.
	if _, err := t.AddBridge("brx", "203.0.113.9/24"); err != nil {
		return err
	}
	// Only what the test needs boots: libvirt (socket units included) and networkd.
	keep := []string{"libvirtd.service", "libvirtd.socket", "libvirtd-ro.socket", "libvirtd-admin.socket",
		"virtlogd.socket", "virtlogd-admin.socket", "virtlockd.socket", "virtlockd-admin.socket",
		"systemd-networkd.service", "systemd-networkd.socket", "NetworkManager.service"}
	if err := lab.PrepareBoot(keep...); err != nil {
		return err
	}
	for unit, target := range map[string]string{"libvirtd.service": "multi-user", "systemd-networkd.service": "multi-user",
		"NetworkManager.service": "multi-user", "libvirtd.socket": "sockets", "virtlogd.socket": "sockets", "virtlockd.socket": "sockets", "systemd-networkd.socket": "sockets"} {
		link := "/etc/systemd/system/" + target + ".target.wants/" + unit
		os.MkdirAll(filepath.Dir(link), 0o755)
		os.Remove(link)
		if err := os.Symlink("/lib/systemd/system/"+unit, link); err != nil {
			return err
		}
	}
	// The distribution's networkd configuration: DHCP on every en* NIC.
	if err := os.MkdirAll(filepath.Dir(wiredConfig), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(wiredConfig, []byte("[Match]\nName=en*\n\n[Network]\nDHCP=ipv4\n"), 0o644); err != nil {
		return err
	}
	// libvirt starts empty (none of the machine's networks), with the plan's networks
	// defined and autostarted as a first `hostnet apply` leaves them.
	for _, d := range []string{"/var/lib/libvirt", "/var/log/libvirt", "/var/cache/libvirt", "/etc/libvirt/qemu", "/etc/libvirt/lxc"} {
		os.MkdirAll(d, 0o755)
		if err := syscall.Mount("tmpfs", d, "tmpfs", 0, "mode=0755"); err != nil {
			return fmt.Errorf("tmpfs on %s: %w", d, err)
		}
	}
	if err := writeBootPlan(planDir, `"198.51.100.70/24"`, 102); err != nil {
		return err
	}
	p, diags := plan.Load(planDir, plan.LoadOptions{})
	if diags.HasErrors() {
		return diags
	}
	nets, err := libvirtnet.Desired(p)
	if err != nil {
		return err
	}
	netDir := "/etc/libvirt/qemu/networks"
	if err := os.MkdirAll(netDir+"/autostart", 0o755); err != nil {
		return err
	}
	for _, n := range nets {
		doc, err := n.XML(uuid())
		if err != nil {
			return err
		}
		if err := os.WriteFile(netDir+"/"+n.Name+".xml", []byte(doc), 0o600); err != nil {
			return err
		}
		if err := os.Symlink(netDir+"/"+n.Name+".xml", netDir+"/autostart/"+n.Name+".xml"); err != nil {
			return err
		}
	}
	out, err := hostnet("install", planDir)
	fmt.Print(out)
	if err != nil {
		return err
	}
	for _, want := range []string{wiredConfig, "Wrote /etc/systemd/network/00-hostnet-nics.network", "NetworkManager is enabled",
		"Wrote " + coexist.NMDropIn, "enabled hostnet-boot.service and hostnet-watch.service"} {
		if !strings.Contains(out, want) {
			return fmt.Errorf("install output lacks %q", want)
		}
	}
	// The units as installed pass systemd's own check.
	if b, err := exec.Command("systemd-analyze", "verify", "--man=no", "/etc/systemd/system/"+BootUnit, "/etc/systemd/system/"+WatchUnit).CombinedOutput(); err != nil || len(b) > 0 {
		return fmt.Errorf("systemd-analyze verify: %v\n%s", err, b)
	}
	// The plan of the failure scenario: one more VLAN and bridge, and an IPv6 address on
	// br0, which the kernel refuses once IPv6 is disabled there (bootCheck does that).
	return writeBootPlan(brokenDir, `"198.51.100.70/24", "2001:db8::70/64"`, 103)
}

func writeBootPlan(dir, addrs string, vlanEnd int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(fmt.Sprintf(bootPlan, addrs, vlanEnd)), 0o644)
}

func uuid() string {
	var b [16]byte
	rand.Read(b[:])
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// show is `systemctl show -p PROP unit`'s value.
func show(unit, prop string) string {
	b, _ := exec.Command("systemctl", "show", "-p", prop, "--value", unit).Output()
	return strings.TrimSpace(string(b))
}

func monotonic(unit, prop string) (uint64, error) {
	v := show(unit, prop)
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("%s %s = %q", unit, prop, v)
	}
	return n, nil
}

func journalText(args ...string) string {
	b, _ := exec.Command("journalctl", append([]string{"-b", "--no-pager", "-o", "cat"}, args...)...).Output()
	return string(b)
}

// bootCheck runs after the boot, as a systemd service.
func bootCheck() error {
	if !lab.Booted() {
		return fmt.Errorf("PID 1 is not systemd")
	}
	// 1. The units ran, in order.
	if s := show(BootUnit, "ActiveState") + "/" + show(BootUnit, "Result"); s != "active/success" {
		return fmt.Errorf("%s: %s\n%s", BootUnit, s, journalText("-u", BootUnit))
	}
	bootDone, err := monotonic(BootUnit, "ExecMainExitTimestampMonotonic")
	if err != nil {
		return err
	}
	bootStart, err := monotonic(BootUnit, "ExecMainStartTimestampMonotonic")
	if err != nil {
		return err
	}
	for _, after := range []struct{ unit, prop string }{
		{"libvirtd.service", "ExecMainStartTimestampMonotonic"},
		{"network.target", "ActiveEnterTimestampMonotonic"},
		{"systemd-networkd.service", "ExecMainStartTimestampMonotonic"},
		{"NetworkManager.service", "ExecMainStartTimestampMonotonic"},
	} {
		ts, err := monotonic(after.unit, after.prop)
		if err != nil {
			return err
		}
		if ts < bootDone {
			return fmt.Errorf("%s started (%d) before %s finished (%d)", after.unit, ts, BootUnit, bootDone)
		}
	}
	// udev-settle is a oneshot that goes inactive when done: when its command exited.
	settled, err := monotonic("systemd-udev-settle.service", "ExecMainExitTimestampMonotonic")
	if err != nil {
		return fmt.Errorf("%v (condition %s, result %s)", err, show("systemd-udev-settle.service", "ConditionResult"), show("systemd-udev-settle.service", "Result"))
	}
	if settled > bootStart {
		return fmt.Errorf("%s started (%d) before udev settled (%d)", BootUnit, bootStart, settled)
	}
	fmt.Printf("order: udev settled %d <= boot apply %d..%d <= network.target, networkd, libvirtd\n", settled, bootStart, bootDone)

	// 2. The plan is up: bond over the NICs (by their kernel names), bridges, VLANs.
	for _, want := range [][2]string{{"enp1s0f0", "bond0"}, {"enp1s0f1", "bond0"}, {"bond0", "br0"}, {"bond0.100", "br100"}, {"bond0.101", "br101"}} {
		l, err := netlink.LinkByName(want[0])
		if err != nil {
			return err
		}
		m, err := netlink.LinkByIndex(l.Attrs().MasterIndex)
		if err != nil || m.Attrs().Name != want[1] {
			return fmt.Errorf("%s's master is not %s (%v)", want[0], want[1], err)
		}
	}
	if out, err := hostnet("status"); err != nil || !strings.Contains(out, "Boot apply of "+PlanDir) || !strings.Contains(out, ": applied (") {
		return fmt.Errorf("status does not show the boot apply (%v):\n%s", err, out)
	}
	if j := journalText("-u", BootUnit, "-p", "notice..notice"); !strings.Contains(j, "boot apply: the plan is applied") {
		return fmt.Errorf("no notice-priority line from the boot apply in the journal:\n%s", journalText("-u", BootUnit))
	}

	// 3. libvirt autostarted its networks, on bridges that exist.
	conn, err := libvirt.NewConnect("qemu:///system")
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, name := range []string{"lan", "tenant100", "tenant101"} {
		n, err := conn.LookupNetworkByName(name)
		if err != nil {
			return err
		}
		active, err := n.IsActive()
		br, _ := n.GetBridgeName()
		n.Free()
		if err != nil || !active {
			return fmt.Errorf("libvirt network %s not active (%v)", name, err)
		}
		if _, err := netlink.LinkByName(br); err != nil {
			return fmt.Errorf("libvirt network %s is on %s: %v", name, br, err)
		}
		fmt.Printf("libvirt network %s active on %s\n", name, br)
	}

	// 4. watch runs.
	if s := show(WatchUnit, "ActiveState") + "/" + show(WatchUnit, "SubState"); s != "active/running" {
		return fmt.Errorf("%s: %s\n%s", WatchUnit, s, journalText("-u", WatchUnit))
	}
	if j := journalText("-u", WatchUnit, "-p", "info..info"); !strings.Contains(j, "msg=watching bonds=[bond0]") {
		return fmt.Errorf("watch did not log its start:\n%s", j)
	}

	// 5. networkd runs and leaves the plan's links alone, but configures the NIC the plan
	// does not have.
	states, err := networkdStates()
	if err != nil {
		return err
	}
	for _, name := range []string{"enp1s0f0", "enp1s0f1", "bond0", "br0"} {
		if states[name] != "unmanaged" {
			return fmt.Errorf("networkd's setup state of %s is %q, want unmanaged (%v)", name, states[name], states)
		}
	}
	if s := states["enp9s0"]; s == "" || s == "unmanaged" {
		return fmt.Errorf("networkd does not manage enp9s0 (%q): it would not have taken the plan's NICs either", s)
	}
	fmt.Printf("networkd setup states: %v\n", states)

	// 5b. NetworkManager runs, leaves the plan's links alone (the drop-in), and has the
	// bridge the plan does not have: hostnet's D-Bus detector sees exactly that.
	targets := []coexist.Iface{{Name: "brx", Kind: "bridge"}}
	for name, mac := range nics {
		m, _ := net.ParseMAC(mac)
		targets = append(targets, coexist.Iface{Name: name, Kind: "ether", MAC: m})
	}
	for _, name := range []string{"bond0", "br0", "bond0.100", "br100", "bond0.101", "br101"} {
		targets = append(targets, coexist.Iface{Name: name})
	}
	var nm []coexist.Conflict
	for i := 0; i < 300; i++ { // NetworkManager may still be enumerating the links (30 s)
		if nm, err = coexist.DetectNMDevices(targets); err == nil && len(nm) > 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil || len(nm) != 1 || nm[0].Iface != "brx" {
		return fmt.Errorf("NetworkManager over D-Bus: %v %+v (want brx managed, the plan's links not)", err, nm)
	}
	fmt.Println("NetworkManager over D-Bus:", nm[0])

	// 6. A guest on br0 reaches a remote host through the bond.
	guest, err := (&topo.Topology{}).AddGuest("guest", guestIP, "br0")
	if err != nil {
		return err
	}
	if _, err := topo.Attach("remote"); err != nil {
		return err
	}
	sent, got, err := guest.Ping(remoteIP, 10, 100*time.Millisecond)
	if err != nil || got < sent/2 {
		return fmt.Errorf("guest ping to the remote: %d/%d (%v)", got, sent, err)
	}
	fmt.Printf("guest -> remote: %d/%d\n", got, sent)

	// 7. A boot apply that fails restores and says so, in the journal and in status.
	if out, err := hostnet("install", brokenDir); err != nil {
		return err
	} else {
		fmt.Print(out)
	}
	if err := os.WriteFile("/proc/sys/net/ipv6/conf/br0/disable_ipv6", []byte("1"), 0o644); err != nil {
		return err
	}
	if err := exec.Command("systemctl", "daemon-reload").Run(); err != nil {
		return err
	}
	if err := exec.Command("systemctl", "restart", BootUnit).Run(); err == nil {
		return fmt.Errorf("the boot apply of a plan the kernel refuses succeeded")
	}
	if _, err := netlink.LinkByName("br102"); err == nil {
		return fmt.Errorf("br102 of the failed boot apply was not removed by the restore")
	}
	if _, err := netlink.LinkByName("br101"); err != nil {
		return fmt.Errorf("br101 is gone after the failed boot apply: %v", err)
	}
	if j := journalText("-u", BootUnit, "-p", "err..err"); !strings.Contains(j, "boot apply FAILED; the state from before it was restored") {
		return fmt.Errorf("no err-priority restore line in the journal:\n%s", journalText("-u", BootUnit))
	}
	out, _ := hostnet("status")
	if !strings.Contains(out, "FAILED and the state from before it was restored") {
		return fmt.Errorf("status does not show the failed boot apply:\n%s", out)
	}
	fmt.Println("failed boot apply:", strings.TrimSpace(journalText("-u", BootUnit, "-p", "err..err")))
	return nil
}

// networkdStates maps link names to networkd's setup state (networkctl list).
func networkdStates() (map[string]string, error) {
	var out []byte
	var err error
	// networkd may still be working through the links right after the boot.
	for i := 0; i < 50; i++ {
		out, err = exec.Command("networkctl", "list", "--no-legend", "--no-pager").Output()
		if err == nil && !strings.Contains(string(out), "pending") {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		return nil, fmt.Errorf("networkctl: %v", err)
	}
	m := map[string]string{}
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		if len(f) >= 5 {
			m[f[1]] = f[4]
		}
	}
	return m, nil
}

// dump shows what systemd saw, when a check failed.
func dump() {
	for _, args := range [][]string{{"systemctl", "--failed", "--no-pager"}, {"journalctl", "-b", "--no-pager", "-n", "150"}} {
		b, _ := exec.Command(args[0], args[1:]...).CombinedOutput()
		fmt.Fprintf(os.Stderr, "--- %s\n%s", strings.Join(args, " "), b)
	}
}
