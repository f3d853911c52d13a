package libvirtnet

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// Conn is a connection to libvirt. Every libvirt call it makes goes through call, which
// counts reads and writes (Calls), so tests can prove that an apply with nothing to do
// writes nothing.
type Conn struct {
	URI string
	c   *libvirt.Connect

	mu    sync.Mutex
	calls Calls
}

// Calls counts the libvirt API calls a Conn made.
type Calls struct {
	Reads  int            `json:"reads"`
	Writes int            `json:"writes"`
	ByOp   map[string]int `json:"by_op"`
}

// Calls returns a copy of the counters.
func (c *Conn) Calls() Calls {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := Calls{Reads: c.calls.Reads, Writes: c.calls.Writes, ByOp: map[string]int{}}
	for k, v := range c.calls.ByOp {
		out.ByOp[k] = v
	}
	return out
}

// ResetCalls zeroes the counters.
func (c *Conn) ResetCalls() {
	c.mu.Lock()
	c.calls = Calls{}
	c.mu.Unlock()
}

// The libvirt calls this package makes; write ones change libvirt's state.
var writeOps = map[string]bool{
	"virNetworkDefineXML": true, "virNetworkCreate": true, "virNetworkDestroy": true,
	"virNetworkUndefine": true, "virNetworkSetAutostart": true, "virNetworkUpdate": true,
}

// WriteHook is for fault-injection tests: when set, every write call is preceded by
// WriteHook(n, op), n counting the process's write calls from 0; an error fails the call
// without making it.
var WriteHook func(n int, op string) error

var writesMade int // by this process, for WriteHook

func (c *Conn) call(op string, fn func() error) error {
	if WriteHook != nil && writeOps[op] {
		n := writesMade
		writesMade++
		if err := WriteHook(n, op); err != nil {
			return err
		}
	}
	c.mu.Lock()
	if c.calls.ByOp == nil {
		c.calls.ByOp = map[string]int{}
	}
	c.calls.ByOp[op]++
	if writeOps[op] {
		c.calls.Writes++
	} else {
		c.calls.Reads++
	}
	c.mu.Unlock()
	return fn()
}

// Connect opens uri (DefaultURI when empty).
func Connect(uri string) (*Conn, error) {
	if uri == "" {
		uri = DefaultURI
	}
	conn := &Conn{URI: uri}
	err := conn.call("virConnectOpen", func() (err error) {
		conn.c, err = libvirt.NewConnect(uri)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("cannot connect to libvirt at %s: %s (is libvirtd running?)", uri, errText(err))
	}
	return conn, nil
}

// Close closes the connection.
func (c *Conn) Close() error {
	if c == nil || c.c == nil {
		return nil
	}
	_, err := c.c.Close()
	c.c = nil
	return err
}

// errText is libvirt's message without the Go binding's prefix.
func errText(err error) string {
	var le libvirt.Error
	if errors.As(err, &le) {
		return le.Message
	}
	return err.Error()
}

// Live is a network as libvirt has it.
type Live struct {
	Network
	UUID       string `json:"uuid"`
	Owned      bool   `json:"owned"` // carries hostnet's mark
	Active     bool   `json:"active"`
	Persistent bool   `json:"persistent"`
	XML        string `json:"-"` // the config as read, for restoring it
}

// State is every libvirt network, owned and foreign, sorted by name.
type State struct {
	Networks []Live `json:"networks"`
}

// Owned lists the networks that carry hostnet's mark.
func (s *State) Owned() []Live {
	var out []Live
	for _, l := range s.Networks {
		if l.Owned {
			out = append(out, l)
		}
	}
	return out
}

// Find returns the network called name, or nil.
func (s *State) Find(name string) *Live {
	for i := range s.Networks {
		if s.Networks[i].Name == name {
			return &s.Networks[i]
		}
	}
	return nil
}

// readWorkers is how many network XML reads Read keeps in flight.
var readWorkers = 1

// Read lists all networks in one call (plus one list call each for the active, the
// autostarted and the persistent ones, instead of three calls per network) and reads
// each one's persistent config XML. hostnet compares the config, which is what a
// restart or a reboot brings up; it keeps the running network equal to it by restarting
// after every change libvirt cannot make live.
func (c *Conn) Read() (*State, error) {
	var all []libvirt.Network
	if err := c.call("virConnectListAllNetworks", func() (err error) {
		all, err = c.c.ListAllNetworks(0)
		return err
	}); err != nil {
		return nil, fmt.Errorf("libvirt %s: list networks: %s", c.URI, errText(err))
	}
	defer func() {
		for i := range all {
			all[i].Free()
		}
	}()
	sets := map[libvirt.ConnectListAllNetworksFlags]map[string]bool{}
	for _, f := range []libvirt.ConnectListAllNetworksFlags{libvirt.CONNECT_LIST_NETWORKS_ACTIVE, libvirt.CONNECT_LIST_NETWORKS_AUTOSTART, libvirt.CONNECT_LIST_NETWORKS_PERSISTENT} {
		var nets []libvirt.Network
		if err := c.call("virConnectListAllNetworks", func() (err error) {
			nets, err = c.c.ListAllNetworks(f)
			return err
		}); err != nil {
			return nil, fmt.Errorf("libvirt %s: list networks: %s", c.URI, errText(err))
		}
		sets[f] = map[string]bool{}
		for i := range nets {
			if name, err := nets[i].GetName(); err == nil { // local: no RPC
				sets[f][name] = true
			}
			nets[i].Free()
		}
	}
	// One XML read per network, one in flight at a time (readWorkers: more in flight were
	// slower inside the lab, see BENCHMARKS.md).
	st := &State{}
	docs := make([]string, len(all))
	errs := make([]error, len(all))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < readWorkers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				errs[i] = c.call("virNetworkGetXMLDesc", func() (err error) {
					docs[i], err = all[i].GetXMLDesc(libvirt.NETWORK_XML_INACTIVE)
					return err
				})
			}
		}()
	}
	for i := range all {
		next <- i
	}
	close(next)
	wg.Wait()
	for i := range all {
		if err := errs[i]; err != nil {
			var le libvirt.Error
			if errors.As(err, &le) && le.Code == libvirt.ERR_NO_NETWORK {
				continue // removed while we listed
			}
			return nil, fmt.Errorf("libvirt %s: read network XML: %s", c.URI, errText(err))
		}
		p, err := parseXML(docs[i])
		if err != nil {
			return nil, err
		}
		l := Live{Network: p.Network, UUID: p.UUID, Owned: p.Owned, XML: docs[i]}
		l.Active = sets[libvirt.CONNECT_LIST_NETWORKS_ACTIVE][l.Name]
		l.Autostart = sets[libvirt.CONNECT_LIST_NETWORKS_AUTOSTART][l.Name]
		l.Persistent = sets[libvirt.CONNECT_LIST_NETWORKS_PERSISTENT][l.Name]
		st.Networks = append(st.Networks, l)
	}
	sort.Slice(st.Networks, func(i, j int) bool { return st.Networks[i].Name < st.Networks[j].Name })
	return st, nil
}

// Plan reads libvirt, diffs it against desired, and names the guests attached to every
// running network that the changes restart or remove.
func (c *Conn) Plan(desired []Network) (*State, *Changes, error) {
	st, err := c.Read()
	if err != nil {
		return nil, nil, err
	}
	ch, err := Diff(desired, st)
	if err != nil {
		return st, nil, err
	}
	if err := c.FillGuests(ch); err != nil {
		return st, nil, err
	}
	return st, ch, nil
}

// FillGuests sets Guests of the changes that restart or remove a running network, from
// the network's ports (virNetworkListAllPorts: every guest interface that libvirt
// plugged into the network has one, with its domain as owner).
func (c *Conn) FillGuests(ch *Changes) error {
	for i := range ch.Changes {
		x := &ch.Changes[i]
		if x.live == nil || !x.live.Active || (x.Action != Replace && x.Action != Delete) {
			continue
		}
		g, err := c.Guests(x.Name)
		if err != nil {
			return err
		}
		x.Guests = g
	}
	return nil
}

// Guests lists the domains with a port on network name, sorted, without repeats.
func (c *Conn) Guests(name string) ([]string, error) {
	n, err := c.lookup(name)
	if err != nil {
		return nil, err
	}
	defer n.Free()
	var ports []libvirt.NetworkPort
	if err := c.call("virNetworkListAllPorts", func() (err error) {
		ports, err = n.ListAllPorts(0)
		return err
	}); err != nil {
		return nil, fmt.Errorf("libvirt network %s: list ports: %s", name, errText(err))
	}
	seen := map[string]bool{}
	var out []string
	for i := range ports {
		var doc string
		err := c.call("virNetworkPortGetXMLDesc", func() (err error) {
			doc, err = ports[i].GetXMLDesc(0)
			return err
		})
		ports[i].Free()
		if err != nil {
			continue // the port went away meanwhile
		}
		var p libvirtxml.NetworkPort
		if p.Unmarshal(doc) == nil && p.Owner != nil && p.Owner.Name != "" && !seen[p.Owner.Name] {
			seen[p.Owner.Name] = true
			out = append(out, p.Owner.Name)
		}
	}
	sort.Strings(out)
	return out, nil
}

func (c *Conn) lookup(name string) (*libvirt.Network, error) {
	var n *libvirt.Network
	err := c.call("virNetworkLookupByName", func() (err error) {
		n, err = c.c.LookupNetworkByName(name)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("libvirt network %s: %s", name, errText(err))
	}
	return n, nil
}

// The write calls, one method each, so that every write is counted and named in errors.
// They work on a handle that the caller looked up (or got from define) once.

func (c *Conn) define(name, doc string) (*libvirt.Network, error) {
	var n *libvirt.Network
	err := c.call("virNetworkDefineXML", func() (err error) {
		n, err = c.c.NetworkDefineXML(doc)
		if err != nil {
			return fmt.Errorf("libvirt network %s: define: %s", name, errText(err))
		}
		return nil
	})
	return n, err
}

func (c *Conn) onNetwork(n *libvirt.Network, name, op, what string, fn func() error) error {
	return c.call(op, func() error {
		if err := fn(); err != nil {
			return fmt.Errorf("libvirt network %s: %s: %s", name, what, errText(err))
		}
		return nil
	})
}

func (c *Conn) start(n *libvirt.Network, name string) error {
	return c.onNetwork(n, name, "virNetworkCreate", "start", n.Create)
}

func (c *Conn) stop(n *libvirt.Network, name string) error {
	return c.onNetwork(n, name, "virNetworkDestroy", "stop", n.Destroy)
}

func (c *Conn) undefine(n *libvirt.Network, name string) error {
	return c.onNetwork(n, name, "virNetworkUndefine", "undefine", n.Undefine)
}

func (c *Conn) setAutostart(n *libvirt.Network, name string, on bool) error {
	return c.onNetwork(n, name, "virNetworkSetAutostart", "set autostart", func() error { return n.SetAutostart(on) })
}

// updatePortGroup runs virNetworkUpdate on a portgroup of a running network, on the live
// network and its persistent config at once.
func (c *Conn) updatePortGroup(n *libvirt.Network, name string, op pgOp) error {
	doc, err := op.pg.xmlString()
	if err != nil {
		return err
	}
	cmd := map[string]libvirt.NetworkUpdateCommand{
		"add":    libvirt.NETWORK_UPDATE_COMMAND_ADD_LAST,
		"modify": libvirt.NETWORK_UPDATE_COMMAND_MODIFY,
		"delete": libvirt.NETWORK_UPDATE_COMMAND_DELETE,
	}[op.cmd]
	return c.onNetwork(n, name, "virNetworkUpdate", op.cmd+" portgroup "+op.pg.Name, func() error {
		return n.Update(cmd, libvirt.NETWORK_SECTION_PORTGROUP, -1, doc,
			libvirt.NETWORK_UPDATE_AFFECT_LIVE|libvirt.NETWORK_UPDATE_AFFECT_CONFIG)
	})
}

// missingBridgesError lists the networks whose bridge is not on the host.
func missingBridgesError(missing map[string][]string) error {
	var lines []string
	for br, nets := range missing {
		lines = append(lines, fmt.Sprintf("bridge %s (for %s)", br, strings.Join(nets, ", ")))
	}
	sort.Strings(lines)
	return fmt.Errorf("refusing to define or start libvirt networks whose bridge does not exist on the host (libvirt would start them anyway and guests would get no link): %s; create the bridges first (hostnet applies bridges before libvirt networks)", strings.Join(lines, "; "))
}
