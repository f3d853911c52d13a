//go:build lab

package fleet

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"

	"github.com/hostnet/hostnet/hostnet/lab"
	"github.com/hostnet/hostnet/hostnet/lab/topo"
)

// hostnetBin is the hostnet binary, built on the host before the lab boots (building it
// inside the user-mode kernel would take minutes).
var hostnetBin = flag.String("hostnet-bin", "", "hostnet binary built outside the lab")

func TestMain(m *testing.M) {
	if lab.Inside() {
		lab.RunTestMain(m)
		return
	}
	dir, err := os.MkdirTemp("", "hostnet-fleet-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		os.Exit(1)
	}
	bin := filepath.Join(dir, "hostnet")
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	build := exec.Command(goTool, "build", "-o", bin, "./cmd/hostnet")
	build.Dir = "../../.."
	if out, err := build.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		fmt.Fprintf(os.Stderr, "FAIL: building hostnet: %v\n%s", err, out)
		os.Exit(1)
	}
	os.Args = append(os.Args, "-hostnet-bin="+bin)
	lab.RunTestMainThen(m, func() { os.RemoveAll(dir) })
}

const gateway = "198.51.100.1"

// hypervisor is one inventory host: a namespace with NICs eno1 and eno2.
type hypervisor struct {
	name    string
	host    *topo.Host
	macs    [2]string
	address string
}

const planV1 = `variable "mac0" { type = string }
variable "mac1" { type = string }
variable "address" { type = string }

nic "uplink0" { mac = var.mac0 }
nic "uplink1" { mac = var.mac1 }

bond "bond0" {
  slaves = [nic.uplink0, nic.uplink1]
  mode   = "active-backup"
  miimon = 100
}
`

const bridgeWithAddress = `
bridge "br0" {
  ports     = [bond.bond0]
  addresses = [var.address]
  gateway   = "198.51.100.1"
}
`

// v2 adds a tenant VLAN: a harmless change.
const tenantVLAN = `
vlan "tenant" {
  link = bond.bond0
  id   = 20
}
`

// The broken v2 moves the host's address to VLAN 30, which the switch does not carry to
// the gateway: the gateway probe, which passed before the apply, fails after it.
const addressOnVLAN30 = `
bridge "br0" { ports = [bond.bond0] }

vlan "mgmt" {
  link = bond.bond0
  id   = 30
}

bridge "br30" {
  ports     = [vlan.mgmt]
  addresses = [var.address]
  gateway   = "198.51.100.1"
}
`

// recapLine is a host's line of the PLAY RECAP, as ansible-core's default callback prints it.
var recapLine = regexp.MustCompile(`(?m)^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)`)

// hostResult is what the recap says of one host: the plan task is the only one that can
// change anything (status_info and assert never do).
type hostResult struct{ changed, failed bool }

func recap(log string) map[string]hostResult {
	out := map[string]hostResult{}
	for _, m := range recapLine.FindAllStringSubmatch(log, -1) {
		out[m[1]] = hostResult{changed: m[3] != "0", failed: m[4] != "0" || m[5] != "0"}
	}
	return out
}

// The Ansible collection rolls plans out to a fleet of three: check mode shows changes on
// all three and changes nothing; the real run applies host by host under the dead-man
// timer with a gateway probe; a re-run reports no changes; a plan that cuts one host's
// gateway is rolled back by that host's own watchdog, the task fails and the rollout stops
// before the next host.
func TestFleetAnsible(t *testing.T) {
	if *hostnetBin == "" {
		t.Fatal("no -hostnet-bin: TestMain builds it outside the lab")
	}
	tp, err := topo.New()
	if err != nil {
		t.Fatal(err)
	}
	defer tp.Close()
	if _, err := tp.AddRemote("gw", gateway+"/24"); err != nil {
		t.Fatal(err)
	}
	fleet := make([]*hypervisor, 3)
	for i := range fleet {
		hv := &hypervisor{name: fmt.Sprintf("hv%d", i+1), address: fmt.Sprintf("198.51.100.%d/24", 11+i)}
		if hv.host, err = tp.AddHypervisor(hv.name); err != nil {
			t.Fatal(err)
		}
		for j := range hv.macs {
			hv.macs[j] = fmt.Sprintf("52:54:00:00:f%d:0%d", i+1, j+1)
			mac, _ := net.ParseMAC(hv.macs[j])
			if err := tp.AddNICTo(hv.host, fmt.Sprintf("eno%d", j+1), mac); err != nil {
				t.Fatal(err)
			}
		}
		fleet[i] = hv
	}

	work := t.TempDir()
	plans := map[string]string{
		"v1/hv1": planV1 + bridgeWithAddress, "v1/hv2": planV1 + bridgeWithAddress, "v1/hv3": planV1 + bridgeWithAddress,
		"v2/hv1": planV1 + bridgeWithAddress + tenantVLAN, "v2/hv2": planV1 + addressOnVLAN30, "v2/hv3": planV1 + bridgeWithAddress + tenantVLAN,
	}
	for dir, text := range plans {
		writeFile(t, filepath.Join(work, "plans", dir, "host.hcl"), text)
	}
	var inv strings.Builder
	inv.WriteString("[hypervisors]\n")
	for _, hv := range fleet {
		fmt.Fprintf(&inv, "%s netns=%s mac0=%s mac1=%s address=%s\n", hv.name, hv.host.NS, hv.macs[0], hv.macs[1], hv.address)
	}
	fmt.Fprintf(&inv, "\n[hypervisors:vars]\nansible_connection=local\nansible_python_interpreter=/usr/bin/python3\nhostnet_bin=%s\nplan_root=%s\nstate_root=%s\n",
		*hostnetBin, filepath.Join(work, "plans"), filepath.Join(work, "state"))
	writeFile(t, filepath.Join(work, "inventory.ini"), inv.String())
	collections := filepath.Join(work, "collections", "ansible_collections", "hostnet")
	if err := os.MkdirAll(collections, 0o755); err != nil {
		t.Fatal(err)
	}
	repoAnsible, err := filepath.Abs("../../../ansible")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(repoAnsible, filepath.Join(collections, "hostnet")); err != nil {
		t.Fatal(err)
	}
	playbook := filepath.Join(repoAnsible, "tests", "fleet", "fleet.yml")

	play := func(version string, extra ...string) (int, map[string]hostResult, string) {
		t.Helper()
		args := append([]string{"-i", filepath.Join(work, "inventory.ini"), "-e", "plan_version=" + version}, extra...)
		cmd := exec.Command("ansible-playbook", append(args, playbook)...)
		cmd.Env = append(os.Environ(),
			"ANSIBLE_COLLECTIONS_PATH="+filepath.Join(work, "collections"),
			"ANSIBLE_STDOUT_CALLBACK=default", "ANSIBLE_NOCOLOR=1", "ANSIBLE_RETRY_FILES_ENABLED=0",
			"ANSIBLE_LOCAL_TEMP="+filepath.Join(work, "ansible-local"), "ANSIBLE_REMOTE_TMP="+filepath.Join(work, "ansible-remote"),
			"ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3")
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		log := stdout.String() + stderr.String()
		res := recap(log)
		if len(res) == 0 {
			t.Fatalf("ansible-playbook %s: exit %d, no PLAY RECAP:\n%s", version, code, log)
		}
		return code, res, log
	}
	hasLink := func(hv *hypervisor, name string) bool {
		h, err := hv.host.Handle()
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		_, err = h.LinkByName(name)
		return err == nil
	}
	reachesGateway := func(hv *hypervisor) bool {
		_, received, err := hv.host.Ping(gateway, 3, 0)
		return err == nil && received > 0
	}

	// 1. Check mode: every host has changes pending, none is changed.
	code, res, log := play("v1", "--check", "--diff")
	for _, hv := range fleet {
		if got := res[hv.name]; code != 0 || !got.changed || got.failed {
			t.Fatalf("check mode: exit %d, %s: %+v\n%s", code, hv.name, got, log)
		}
		if hasLink(hv, "bond0") {
			t.Fatalf("check mode created bond0 on %s", hv.name)
		}
	}

	// 2. The real run: host by host, each confirmed by its gateway probe.
	code, res, log = play("v1")
	for _, hv := range fleet {
		if got := res[hv.name]; code != 0 || !got.changed || got.failed {
			t.Fatalf("rollout: exit %d, %s: %+v\n%s", code, hv.name, got, log)
		}
		if !hasLink(hv, "br0") || !reachesGateway(hv) {
			t.Fatalf("%s: br0 missing or gateway unreachable after the rollout\n%s", hv.name, log)
		}
		if hasLink(&hypervisor{host: tp.Root()}, "bond0") {
			t.Fatal("the rollout changed the lab's root namespace")
		}
	}

	// 3. Re-running reports no changes (and the health check passes).
	code, res, log = play("v1")
	for _, hv := range fleet {
		if got := res[hv.name]; code != 0 || got.changed || got.failed {
			t.Fatalf("re-run: exit %d, %s: %+v\n%s", code, hv.name, got, log)
		}
	}

	// 4. v2: hv1 gets its VLAN; hv2's plan cuts its gateway, its watchdog restores it at
	// once, the task fails and the rollout stops before hv3.
	code, res, log = play("v2")
	rolledBack := strings.Contains(log, "hostnet apply rolled back by the dead-man watchdog")
	if code == 0 || !res["hv1"].changed || res["hv1"].failed || !res["hv2"].failed || !rolledBack {
		t.Fatalf("v2 rollout: exit %d, results %+v\n%s", code, res, log)
	}
	if _, ran := res["hv3"]; ran {
		t.Fatalf("the rollout went on to hv3 after hv2 failed: %+v\n%s", res, log)
	}
	if !hasLink(fleet[0], "bond0.20") {
		t.Error("hv1 lacks its v2 VLAN bond0.20")
	}
	if hasLink(fleet[1], "br30") || hasLink(fleet[1], "bond0.30") || !reachesGateway(fleet[1]) {
		t.Error("hv2 was not restored to v1 (br30/bond0.30 left, or gateway unreachable)")
	}
	if hasLink(fleet[2], "bond0.20") {
		t.Error("hv3 was changed although the rollout stopped at hv2")
	}
	h, err := fleet[1].host.Handle()
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if br, err := h.LinkByName("br0"); err != nil {
		t.Error(err)
	} else if addrs, _ := h.AddrList(br, netlink.FAMILY_V4); len(addrs) != 1 || addrs[0].IPNet.String() != fleet[1].address {
		t.Errorf("hv2 br0 addresses after the restore: %v, want %s", addrs, fleet[1].address)
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
