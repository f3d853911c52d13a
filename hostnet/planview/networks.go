package planview

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/hostnet/hostnet/libvirtnet"
)

var netSymbol = map[libvirtnet.Action]string{
	libvirtnet.Create: "+", libvirtnet.Update: "~", libvirtnet.Replace: "-/+", libvirtnet.Delete: "-",
}

var netVerb = map[libvirtnet.Action]string{
	libvirtnet.Create: "create", libvirtnet.Update: "update in place", libvirtnet.Replace: "restart", libvirtnet.Delete: "delete",
}

// NetworksText renders libvirt network changes in the style of Text (the full view).
// Networks without changes are not shown; a restart names the guests whose ports it
// resets.
func NetworksText(ch *libvirtnet.Changes) string { return NetworksTextWith(ch, Options{Verbose: true}) }

// RenderNetworksWith writes NetworksTextWith.
func RenderNetworksWith(w io.Writer, ch *libvirtnet.Changes, opts Options) error {
	_, err := io.WriteString(w, NetworksTextWith(ch, opts))
	return err
}

// NetworksTextWith renders libvirt network changes in the view opts choose.
func NetworksTextWith(ch *libvirtnet.Changes, opts Options) string {
	var b strings.Builder
	if ch.Empty() {
		b.WriteString("No libvirt network changes.\n")
		return b.String()
	}
	b.WriteString("hostnet will make these libvirt network changes:\n")
	counts := map[libvirtnet.Action]int{}
	for _, c := range ch.Changes {
		counts[c.Action]++
	}
	if !opts.Verbose {
		writeGroups(&b, groupNetworks(ch.Changes), opts)
	}
	for _, c := range ch.Changes {
		if !opts.Verbose {
			break
		}
		b.WriteString("\n")
		fmt.Fprintf(&b, "  %s %s libvirt network %s", paint(opts, string(c.Action), netSymbol[c.Action]), netVerb[c.Action], c.Name)
		if c.Address != "" {
			fmt.Fprintf(&b, " (%s)", c.Address)
		}
		b.WriteString("\n")
		width := 0
		for _, a := range c.Attrs {
			width = max(width, len(a.Name))
		}
		for _, a := range c.Attrs {
			v := a.Old + " → " + a.New
			switch {
			case a.Old == "":
				v = "+ " + a.New
			case a.New == "":
				v = "- " + a.Old
			}
			if a.Restart {
				v += "  (needs a network restart)"
			}
			b.WriteString("      " + pad(a.Name, width) + "  " + v + "\n")
		}
		if len(c.Guests) > 0 {
			g := append([]string(nil), c.Guests...)
			sort.Strings(g)
			b.WriteString("      # guests attached: " + list(g) + "\n")
		}
	}
	fmt.Fprintf(&b, "\nLibvirt: %d to create, %d to update in place, %d to restart, %d to delete.\n",
		counts[libvirtnet.Create], counts[libvirtnet.Update], counts[libvirtnet.Replace], counts[libvirtnet.Delete])
	return b.String()
}

// RenderNetworks writes NetworksText.
func RenderNetworks(w io.Writer, ch *libvirtnet.Changes) error {
	_, err := io.WriteString(w, NetworksText(ch))
	return err
}
