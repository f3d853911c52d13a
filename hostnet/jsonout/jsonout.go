// Package jsonout owns hostnet's machine-readable output: the one JSON document that
// validate, plan, apply, destroy, status and rollback print with --json. The format is a
// contract for scripts and Ansible, documented in docs/json.md and described by the JSON
// Schema docs/json/hostnet-output.schema.json (embedded here as Schema); tests validate
// every document the CLI prints against it.
//
// The internal types (engine.Changes, libvirtnet.Changes, status.Report) are free to
// change; this package maps them onto the stable shape. Values are typed: numbers are
// numbers, lists are lists, and an absent value is null, never "(none)".
//
// Compatibility: FormatVersion is "MAJOR.MINOR". A new optional field raises MINOR; a
// field removed, renamed or retyped raises MAJOR. Consumers should check the major part.
package jsonout

import (
	_ "embed"
	"encoding/json"
	"errors"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/hostnet/hostnet/hostnet/coexist"
	"github.com/hostnet/hostnet/hostnet/diag"
	"github.com/hostnet/hostnet/hostnet/engine"
	"github.com/hostnet/hostnet/hostnet/install"
	"github.com/hostnet/hostnet/hostnet/safe"
	"github.com/hostnet/hostnet/hostnet/status"
	"github.com/hostnet/hostnet/libvirtnet"
)

// FormatVersion is the version of the document format (see the package comment).
const FormatVersion = "1.0"

// Schema is the JSON Schema (draft 2020-12) of every document, as in docs/json.
//
//go:embed hostnet-output.schema.json
var Schema []byte

// Document is what one command prints with --json: always one object, also on errors.
type Document struct {
	FormatVersion  string `json:"format_version"`
	Command        string `json:"command"` // validate, plan, apply, destroy, status, rollback
	HostnetVersion string `json:"hostnet_version"`
	// ExitCode is the process's exit status (see docs/json.md): 0, 1 or 2.
	ExitCode int `json:"exit_code"`
	// Error is why the command failed; null when it did not.
	Error *Error `json:"error"`
	// Diagnostics of the plan the command read (validate: per plan, in Plans).
	Diagnostics []Diagnostic `json:"diagnostics"`

	Plans    []PlanValidation `json:"plans,omitempty"`    // validate
	Changes  *Changes         `json:"changes,omitempty"`  // plan, apply, destroy
	Result   *Result          `json:"result,omitempty"`   // apply, destroy
	Status   *Status          `json:"status,omitempty"`   // status
	Rollback *Rollback        `json:"rollback,omitempty"` // rollback

	// Coexistence (plan) lists other network managers that configure the plan's interfaces.
	Coexistence []coexist.Conflict `json:"coexistence,omitempty"`
}

// CoexistenceOf is the plan document's coexistence list: nil (left out) when there is none.
func CoexistenceOf(cs []coexist.Conflict) []coexist.Conflict {
	if len(cs) == 0 {
		return nil
	}
	return cs
}

// New starts a document for a command.
func New(command, version string) *Document {
	return &Document{FormatVersion: FormatVersion, Command: command, HostnetVersion: version, Diagnostics: []Diagnostic{}}
}

// Error kinds, so automation can tell what went wrong without parsing messages.
const (
	ErrInvalidPlan = "invalid_plan" // the plan has errors (see diagnostics)
	ErrUsage       = "usage"        // bad flags or arguments
	ErrHostGuard   = "host_guard"   // the plan is for another host
	ErrLocked      = "locked"       // another apply, destroy or rollback runs
	ErrLibvirt     = "libvirt"      // libvirt could not be read or changed
	ErrApply       = "apply_failed" // a change failed (the previous state was restored)
	ErrCancelled   = "cancelled"    // the operator said no
	ErrOther       = "error"        // anything else
)

// Error is a failed command.
type Error struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

// Write encodes the document, indented, with a final newline.
func (d *Document) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}

// Fail records an error and exit code 1.
func (d *Document) Fail(kind string, err error) {
	d.ExitCode = 1
	d.Error = &Error{Kind: kind, Message: err.Error()}
}

// Diagnostic is one error or warning about a plan.
type Diagnostic struct {
	Severity string `json:"severity"` // "error" or "warning"
	// Rule identifies the check: a validation rule id (hostnet/validate.Rules, e.g.
	// "option-mode"), or "decode.<summary>" for the plan decoder's diagnostics.
	Rule    string      `json:"rule"`
	Summary string      `json:"summary"`
	Detail  string      `json:"detail"`
	Range   *diag.Range `json:"range"`  // null when the diagnostic has no source position
	Source  *string     `json:"source"` // the first source line of Range
}

// Diagnostics converts HCL diagnostics.
func Diagnostics(files map[string]*hcl.File, diags hcl.Diagnostics) []Diagnostic {
	out := make([]Diagnostic, 0, len(diags))
	for _, j := range diag.ToJSON(files, diags) {
		d := Diagnostic{Severity: j.Severity, Rule: j.Rule, Summary: j.Summary, Detail: j.Detail, Range: j.Range}
		if j.Range != nil {
			src := j.Source
			d.Source = &src
		}
		out = append(out, d)
	}
	return out
}

// PlanValidation is one plan's result in validate.
type PlanValidation struct {
	Path         string       `json:"path"`
	Valid        bool         `json:"valid"`
	ErrorCount   int          `json:"error_count"`
	WarningCount int          `json:"warning_count"`
	Diagnostics  []Diagnostic `json:"diagnostics"`
}

// Changes is the plan of changes of plan, apply and destroy: kernel objects and libvirt
// networks in one list, with one summary.
type Changes struct {
	// Changed is whether applying would change anything.
	Changed bool    `json:"changed"`
	Summary Summary `json:"summary"`
	// KernelOperations is how many kernel operations apply would run.
	KernelOperations int `json:"kernel_operations"`
	// Resources are the objects that change (objects without changes are only counted).
	Resources []Resource `json:"resources"`
	Libvirt   Libvirt    `json:"libvirt"`
}

// Summary counts objects by action.
type Summary struct {
	// Adopt counts existing links and networks hostnet takes over by marking them only.
	Adopt   int `json:"adopt"`
	Create  int `json:"create"`
	Update  int `json:"update"`
	Replace int `json:"replace"`
	Delete  int `json:"delete"`
	NoOp    int `json:"no_op"`
}

// Libvirt says whether the libvirt networks were planned.
type Libvirt struct {
	// Checked is true when libvirtd answered and its networks were compared.
	Checked bool `json:"checked"`
	// Networks is the number of libvirt_network instances in the plan.
	Networks int `json:"networks"`
	// Error is why libvirt could not be checked; null when it was (or was not needed).
	Error *string `json:"error"`
	// Foreign lists networks without hostnet's mark; hostnet never touches them.
	Foreign []string `json:"foreign"`
}

// Resource is the change of one object.
type Resource struct {
	Address string `json:"address"`
	// Layer is "kernel" or "libvirt".
	Layer string `json:"layer"`
	// Kind: nic, bond, vlan, bridge, route, link (a marked link the plan no longer has),
	// libvirt_network.
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Action string `json:"action"` // adopt, create, update, replace, delete
	// Attributes that change, old and new typed (null: absent).
	Attributes []Attribute `json:"attributes"`
	// Flaps lists the links that go down and come back up.
	Flaps []string `json:"flaps"`
	// Reason says why a replace, or why an object is left alone; null when none.
	Reason *string `json:"reason"`
	// Guests are the libvirt domains on a network that restarts or goes.
	Guests []string `json:"guests"`
}

// Attribute is one attribute's old and new value.
type Attribute struct {
	Name string `json:"name"`
	Old  any    `json:"old"` // null, number, boolean, string or list of strings
	New  any    `json:"new"`
	// Needs says what the change forces (e.g. "bond down and slaves released"); null when
	// it is made in place.
	Needs *string `json:"needs"`
	// Restart is true when libvirt takes the value only by restarting the network.
	Restart bool `json:"restart"`
}

// ChangesOf maps the kernel and libvirt plans onto Changes. nets may be nil (libvirt not
// involved); netErr is why libvirt could not be planned; planned is how many networks
// the plan has.
func ChangesOf(ch *engine.Changes, nets *libvirtnet.Changes, planned int, netErr error) *Changes {
	c := &Changes{Resources: []Resource{}, Libvirt: Libvirt{Networks: planned, Foreign: []string{}}}
	if ch != nil {
		c.Summary = Summary{ch.Summary.Adopt, ch.Summary.Create, ch.Summary.Update, ch.Summary.Replace, ch.Summary.Delete, ch.Summary.NoOp}
		c.KernelOperations = ch.NumSteps
		c.Changed = ch.HasChanges()
		c.Resources = append(c.Resources, KernelResources(ch.ChangedObjects())...)
	}
	if netErr != nil {
		msg := netErr.Error()
		c.Libvirt.Error = &msg
	}
	if nets != nil {
		c.Libvirt.Checked = true
		if nets.Foreign != nil {
			c.Libvirt.Foreign = nets.Foreign
		}
		for _, n := range nets.Changes {
			c.Resources = append(c.Resources, networkResource(n))
			switch n.Action {
			case libvirtnet.Adopt:
				c.Summary.Adopt++
			case libvirtnet.Create:
				c.Summary.Create++
			case libvirtnet.Update:
				c.Summary.Update++
			case libvirtnet.Replace:
				c.Summary.Replace++
			case libvirtnet.Delete:
				c.Summary.Delete++
			}
			c.Changed = true
		}
	}
	return c
}

// KernelResources maps kernel object changes (no-ops included if given).
func KernelResources(objs []engine.Change) []Resource {
	out := make([]Resource, 0, len(objs))
	for _, o := range objs {
		r := Resource{Address: o.Address, Layer: "kernel", Kind: o.Kind, Name: o.Name, Action: string(o.Action),
			Attributes: make([]Attribute, 0, len(o.Attrs)), Flaps: nonNil(o.Flaps), Reason: optional(o.Reason), Guests: []string{}}
		for _, a := range o.Attrs {
			r.Attributes = append(r.Attributes, Attribute{Name: a.Name, Old: Value(a.Name, a.Old), New: Value(a.Name, a.New), Needs: optional(a.Needs)})
		}
		out = append(out, r)
	}
	return out
}

func networkResource(n libvirtnet.Change) Resource {
	r := Resource{Address: n.Address, Layer: "libvirt", Kind: "libvirt_network", Name: n.Name, Action: string(n.Action),
		Attributes: make([]Attribute, 0, len(n.Attrs)), Flaps: []string{}, Guests: nonNil(n.Guests)}
	if n.RestartNeeded {
		reason := "libvirt changes this only on a stopped network: it is restarted"
		r.Reason = &reason
	}
	for _, a := range n.Attrs {
		r.Attributes = append(r.Attributes, Attribute{Name: a.Name, Old: Value(a.Name, a.Old), New: Value(a.Name, a.New), Restart: a.Restart})
	}
	return r
}

// stringAttrs are attributes whose values are names or addresses: they stay strings even
// when they look like numbers (an interface may be named "100").
var stringAttrs = map[string]bool{
	"name": true, "master": true, "owner": true, "link": true, "port": true, "mac": true,
	"address": true, "gateway": true, "route": true, "bridge": true, "primary": true,
	"active_slave": true, "state": true, "protocol": true, "mode": true,
}

// placeholder is how the text view writes an absent value: "(none)", "(bond MAC)".
var placeholder = regexp.MustCompile(`^\([^()]*\)$`)

// Value types an attribute value the engine renders as text: "" and placeholders such as
// "(none)" are null, "[a, b]" a list of strings, integers numbers, true/false booleans
// (except for attributes that name things, see stringAttrs), anything else a string.
func Value(attr, text string) any {
	text = strings.TrimSpace(text)
	if text == "" || placeholder.MatchString(text) {
		return nil
	}
	if strings.HasPrefix(text, "[") && strings.HasSuffix(text, "]") {
		inner := strings.TrimSpace(text[1 : len(text)-1])
		list := []string{}
		if inner != "" {
			for _, e := range strings.Split(inner, ",") {
				list = append(list, strings.TrimSpace(e))
			}
		}
		return list
	}
	base := attr
	if i := strings.LastIndexByte(attr, '.'); i >= 0 {
		base = attr[i+1:]
	}
	if stringAttrs[base] {
		return text
	}
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		return n
	}
	if b, err := strconv.ParseBool(text); err == nil && (text == "true" || text == "false") {
		return b
	}
	return text
}

// Result is what apply or destroy did.
type Result struct {
	// Applied is true when anything was changed.
	Applied bool `json:"applied"`
	// KernelOperations that ran; ExecMS and VerifyMS their time and the read-back's.
	KernelOperations int     `json:"kernel_operations"`
	ExecMS           float64 `json:"exec_ms"`
	VerifyMS         float64 `json:"verify_ms"`
	// LibvirtNetworks are the networks created, updated, replaced or deleted, by name.
	LibvirtNetworks []NetworkResult `json:"libvirt_networks"`
	// Unconverged lists what the kernel did not take, as a re-plan after the apply sees it.
	Unconverged []Resource `json:"unconverged"`
	// Confirmation is the pending dead-man timer of apply --confirm-within; null without.
	Confirmation *Confirmation `json:"confirmation"`
}

// NetworkResult is one libvirt network apply or destroy changed.
type NetworkResult struct {
	Name   string `json:"name"`
	Action string `json:"action"`
}

// NewResult fills a Result from the engine's report (nil: no kernel change ran).
func NewResult(rep *engine.Report) *Result {
	r := &Result{LibvirtNetworks: []NetworkResult{}, Unconverged: []Resource{}}
	if rep != nil {
		r.KernelOperations = rep.Steps
		r.ExecMS = ms(rep.Exec)
		r.VerifyMS = ms(rep.Verify)
		r.Unconverged = KernelResources(rep.Unconverged)
		r.Applied = rep.Steps > 0
	}
	return r
}

// AddNetworks records the libvirt changes that were applied.
func (r *Result) AddNetworks(ch *libvirtnet.Changes) {
	if ch == nil {
		return
	}
	for _, c := range ch.Changes {
		r.LibvirtNetworks = append(r.LibvirtNetworks, NetworkResult{Name: c.Name, Action: string(c.Action)})
		r.Applied = true
	}
}

// Confirmation is a pending dead-man timer.
type Confirmation struct {
	Command string `json:"command"`
	// Applied and Deadline are RFC 3339 times; RemainingS is the seconds left when printed.
	Applied     time.Time `json:"applied"`
	Deadline    time.Time `json:"deadline"`
	RemainingS  float64   `json:"remaining_s"`
	WatchdogPID int       `json:"watchdog_pid"`
	Probes      []string  `json:"probes"`
}

// ConfirmationOf maps a pending confirmation; nil stays nil.
func ConfirmationOf(p *safe.Pending) *Confirmation {
	if p == nil {
		return nil
	}
	return &Confirmation{Command: p.Command, Applied: p.Applied, Deadline: p.Deadline,
		RemainingS: max(0, time.Until(p.Deadline).Round(time.Millisecond).Seconds()), WatchdogPID: p.PID, Probes: nonNil(p.Probes)}
}

// Status is hostnet status.
type Status struct {
	Bonds   []status.Bond   `json:"bonds"`
	Bridges []status.Bridge `json:"bridges"`
	VLANs   []status.VLAN   `json:"vlans"`
	// PlanChecked is true when a plan was compared; Drift lists its objects that differ.
	PlanChecked bool       `json:"plan_checked"`
	Drift       []Resource `json:"drift"`
	// PendingConfirmation is an apply --confirm-within waiting for hostnet confirm; null
	// when none is.
	PendingConfirmation *Confirmation `json:"pending_confirmation"`
	// BootApply is what this boot's `hostnet boot` did (hostnet install); null when no boot
	// apply ran since the state directory (a tmpfs) was created.
	BootApply *BootApply `json:"boot_apply"`
	// LastRestore is the last restore of a snapshot (a failed apply, the dead-man watchdog,
	// hostnet rollback); absent when none was recorded.
	LastRestore *LastRestore `json:"last_restore,omitempty"`
}

// LastRestore is the restore record of hostnet/safe, or why it could not be trusted.
type LastRestore struct {
	Time     *time.Time `json:"time"`
	Trigger  string     `json:"trigger"` // apply-failed, watchdog, rollback, untrusted
	Reason   string     `json:"reason"`
	Command  string     `json:"command"`
	Exact    bool       `json:"exact"`
	Residual []string   `json:"residual"`
	Error    *string    `json:"error"`
}

// LastRestoreOf maps the restore record; a record that exists but cannot be read or
// trusted is reported as trigger "untrusted" with the reason.
func LastRestoreOf(r *safe.RestoreRecord, err error) *LastRestore {
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		msg := err.Error()
		return &LastRestore{Trigger: "untrusted", Residual: []string{}, Error: &msg}
	}
	if r == nil {
		return nil
	}
	l := &LastRestore{Time: &r.Time, Trigger: r.Trigger, Reason: r.Reason, Command: r.Command,
		Exact: r.Exact, Residual: nonNil(r.Residual)}
	if r.Error != "" {
		l.Error = &r.Error
	}
	return l
}

// BootApply is the boot record of hostnet/install, or why it could not be trusted.
type BootApply struct {
	Time    *time.Time `json:"time"`
	Plan    string     `json:"plan"`
	Result  string     `json:"result"` // applied, unchanged, failed-restored, failed-restore-incomplete, failed-nothing-changed, untrusted
	Failed  bool       `json:"failed"`
	Steps   int        `json:"kernel_operations"`
	Error   *string    `json:"error"`
	Restore *string    `json:"restore"`
}

// BootApplyOf maps the boot record; a record that exists but cannot be trusted (a symlink,
// another owner) is reported as result "untrusted" with the reason.
func BootApplyOf(r *install.BootRecord, err error) *BootApply {
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		msg := err.Error()
		return &BootApply{Result: "untrusted", Failed: true, Error: &msg}
	}
	if r == nil {
		return nil
	}
	b := &BootApply{Time: &r.Time, Plan: r.Plan, Result: r.Result, Failed: r.Failed(), Steps: r.Steps}
	if r.Error != "" {
		b.Error = &r.Error
	}
	if r.Restore != "" {
		b.Restore = &r.Restore
	}
	return b
}

// StatusOf maps the status report.
func StatusOf(r *status.Report, pending *safe.Pending) *Status {
	s := &Status{Bonds: r.Bonds, Bridges: r.Bridges, VLANs: r.VLANs, PlanChecked: r.PlanChecked,
		Drift: KernelResources(r.Drift), PendingConfirmation: ConfirmationOf(pending)}
	for i := range s.Bonds {
		s.Bonds[i].Slaves = nonNil(s.Bonds[i].Slaves)
		s.Bonds[i].Addresses = nonNil(s.Bonds[i].Addresses)
	}
	for i := range s.Bridges {
		s.Bridges[i].Ports = nonNil(s.Bridges[i].Ports)
		s.Bridges[i].Addresses = nonNil(s.Bridges[i].Addresses)
	}
	return s
}

// Rollback is what hostnet rollback restored.
type Rollback struct {
	Snapshot         SnapshotInfo `json:"snapshot"`
	KernelOperations int          `json:"kernel_operations"`
	DurationMS       float64      `json:"duration_ms"`
	// Complete is true when the live state equals the snapshot afterwards; Residual lists
	// what still differs.
	Complete bool     `json:"complete"`
	Residual []string `json:"residual"`
}

// SnapshotInfo says which snapshot was restored.
type SnapshotInfo struct {
	Command string    `json:"command"`
	Taken   time.Time `json:"taken"`
	PID     int       `json:"pid"`
	Links   []string  `json:"links"`
}

// RollbackOf maps a rollback's snapshot and report (rep may be nil when the restore did
// not start).
func RollbackOf(snap *safe.Snapshot, rep *safe.RestoreReport) *Rollback {
	r := &Rollback{Residual: []string{}}
	if snap != nil {
		r.Snapshot = SnapshotInfo{Command: snap.Command, Taken: snap.Taken, PID: snap.PID, Links: nonNil(snap.Names())}
	} else {
		r.Snapshot.Links = []string{}
	}
	if rep != nil {
		r.KernelOperations = rep.Steps + rep.Fixes
		r.DurationMS = ms(rep.Duration)
		r.Residual = nonNil(rep.Residual)
		r.Complete = len(rep.Residual) == 0
	}
	return r
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
