package report

import (
	"sort"
	"strings"

	"github.com/accord-dev/accord/compat"
	"github.com/accord-dev/accord/compat/rules"
)

// The change log is the partner-facing view of a comparison made with
// compat.Options{Changes: true}: every change, additions and deprecations
// included, grouped by what partners call (an operation, a webhook, a
// channel), breaking changes first with what the partner must do.

// ChangeKind classifies one entry of the change log.
type ChangeKind string

const (
	ChangeBreaking   ChangeKind = "breaking"   // an error finding: partners must act
	ChangeMayBreak   ChangeKind = "may-break"  // a warning finding: some partners must act
	ChangeDeprecated ChangeKind = "deprecated" // still works; stop using it before the sunset
	ChangeAdded      ChangeKind = "added"      // new; nothing to do
	ChangeOther      ChangeKind = "changed"    // breaks nobody
)

// GroupKind says what a change log group is about.
type GroupKind string

const (
	GroupOperation GroupKind = "operation"
	GroupWebhook   GroupKind = "webhook"
	GroupChannel   GroupKind = "channel"
	// GroupShared holds changes to an element several operations use (a
	// schema component): listed once, with the operations it reaches.
	GroupShared GroupKind = "shared"
)

// Changelog is one contract's change log.
type Changelog struct {
	Contract string         `json:"contract"`
	Base     compat.DocInfo `json:"base"`
	Head     compat.DocInfo `json:"head"`
	Counts   ChangeCounts   `json:"counts"`
	Groups   []ChangeGroup  `json:"groups"`
	// Note says why there is nothing to list, e.g. a contract that is new
	// at the base revision.
	Note string `json:"note,omitempty"`
}

// ChangeCounts totals the entries by kind.
type ChangeCounts struct {
	Breaking   int `json:"breaking"`
	MayBreak   int `json:"mayBreak"`
	Deprecated int `json:"deprecated"`
	Added      int `json:"added"`
	Other      int `json:"changed"`
}

// ChangeGroup is the changes to one operation, webhook, channel or shared
// element.
type ChangeGroup struct {
	Kind GroupKind `json:"kind"`
	Name string    `json:"name"`
	// ID is the operationId, when the group is one operation with one.
	ID      string   `json:"operationId,omitempty"`
	Changes []Change `json:"changes"`
}

// Change is one entry.
type Change struct {
	Kind    ChangeKind `json:"kind"`
	Rule    string     `json:"rule"`
	Message string     `json:"message"`
	Subject string     `json:"subject"`
	// Action is what the partner must do, for breaking entries.
	Action string `json:"action,omitempty"`
	// Sunset is the date a deprecated element goes away (YYYY-MM-DD).
	Sunset string `json:"sunset,omitempty"`
	// Affected lists the operations of a shared change.
	Affected []string `json:"affected,omitempty"`
	Line     int      `json:"line,omitempty"`
}

// BuildChangelog groups a comparison's findings for partners. Each finding
// is listed once: under its operation when it reaches one, under the shared
// element (with the operations it reaches) when it reaches several.
func BuildChangelog(res *compat.Result) Changelog {
	cl := Changelog{Contract: res.Head.Name, Base: res.Base, Head: res.Head, Groups: []ChangeGroup{}}
	groups := map[string]*ChangeGroup{}
	var order []*ChangeGroup
	get := func(kind GroupKind, name, id string) *ChangeGroup {
		k := string(kind) + "\x00" + name
		if g := groups[k]; g != nil {
			return g
		}
		g := &ChangeGroup{Kind: kind, Name: name, ID: id}
		groups[k] = g
		order = append(order, g)
		return g
	}
	for _, f := range res.Findings {
		c := Change{Kind: changeKind(f), Rule: f.Rule, Message: oneLine(f.Message), Subject: oneLine(f.Subject),
			Sunset: f.Sunset, Line: headPlace(res, f).Line}
		if c.Kind == ChangeBreaking || c.Kind == ChangeMayBreak {
			c.Action = partnerAction(f)
		}
		cl.count(c.Kind)
		switch {
		case f.Rule == "channel-added" || f.Rule == "channel-removed" || f.Rule == "channel-address-changed" || f.Rule == "message-added":
			get(GroupChannel, channelName(f), "").add(c)
		case len(f.Affected) == 1:
			op := f.Affected[0]
			kind, name := opGroup(res, op.Key)
			id := op.ID
			if kind == GroupChannel {
				id = "" // a channel's group gathers several operations
			}
			get(kind, name, id).add(c)
		default:
			for _, op := range f.Affected {
				c.Affected = append(c.Affected, op.Key)
			}
			get(GroupShared, sharedName(f.Subject), "").add(c)
		}
	}
	// Partners read from the top: groups with breaking changes first, then
	// those that may break, deprecate, or only add; within a tier
	// operations, webhooks, channels, shared elements, by name.
	rank := map[GroupKind]int{GroupOperation: 0, GroupWebhook: 1, GroupChannel: 2, GroupShared: 3}
	for _, g := range order {
		sort.SliceStable(g.Changes, func(i, j int) bool {
			return kindRank(g.Changes[i].Kind) < kindRank(g.Changes[j].Kind)
		})
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if ta, tb := kindRank(a.Changes[0].Kind), kindRank(b.Changes[0].Kind); ta != tb {
			return ta < tb
		}
		if rank[a.Kind] != rank[b.Kind] {
			return rank[a.Kind] < rank[b.Kind]
		}
		return a.Name < b.Name
	})
	for _, g := range order {
		cl.Groups = append(cl.Groups, *g)
	}
	return cl
}

func (g *ChangeGroup) add(c Change) { g.Changes = append(g.Changes, c) }

func (cl *Changelog) count(k ChangeKind) {
	switch k {
	case ChangeBreaking:
		cl.Counts.Breaking++
	case ChangeMayBreak:
		cl.Counts.MayBreak++
	case ChangeDeprecated:
		cl.Counts.Deprecated++
	case ChangeAdded:
		cl.Counts.Added++
	default:
		cl.Counts.Other++
	}
}

func kindRank(k ChangeKind) int {
	switch k {
	case ChangeBreaking:
		return 0
	case ChangeMayBreak:
		return 1
	case ChangeDeprecated:
		return 2
	case ChangeAdded:
		return 3
	}
	return 4
}

func changeKind(f compat.Finding) ChangeKind {
	switch {
	case f.Severity == compat.SeverityError:
		return ChangeBreaking
	case f.Severity == compat.SeverityWarning:
		return ChangeMayBreak
	case f.Category == rules.CatDeprecation:
		return ChangeDeprecated
	case f.Category == rules.CatAddition:
		return ChangeAdded
	}
	return ChangeOther
}

// opGroup places an operation key: webhooks ("POST webhook:name") and
// AsyncAPI operations ("send orders.created") get their own kinds.
func opGroup(res *compat.Result, key string) (GroupKind, string) {
	if i := strings.Index(key, " webhook:"); i >= 0 {
		return GroupWebhook, key[i+len(" webhook:"):] + " (" + key[:i] + ")"
	}
	if res.Kind == "asyncapi" {
		if _, addr, ok := strings.Cut(key, " "); ok {
			return GroupChannel, addr
		}
	}
	return GroupOperation, key
}

func channelName(f compat.Finding) string {
	if f.Rule == "channel-added" && f.After != "" {
		return f.After
	}
	if len(f.Affected) > 0 {
		if _, addr, ok := strings.Cut(f.Affected[0].Key, " "); ok {
			return addr
		}
	}
	return strings.TrimPrefix(f.Subject, "channels.")
}

// sharedName is the element a shared change is about: the component, not
// the property path below it.
func sharedName(subject string) string {
	parts := strings.SplitN(subject, ".", 4)
	if len(parts) >= 3 && parts[0] == "components" {
		return strings.Join(parts[:3], ".")
	}
	return subject
}

// partnerAction says what a partner integrating against the base version
// must do about a breaking change, by the kind of change.
func partnerAction(f compat.Finding) string {
	switch f.Rule {
	case "operation-removed", "path-removed":
		if f.Sunset != "" {
			return "Stop calling it: it was deprecated with sunset " + f.Sunset + " and is gone in this version."
		}
		return "Stop calling it before upgrading; move to its replacement."
	case "response-property-removed", "response-header-removed":
		return "Stop reading it: responses no longer carry it."
	case "request-property-removed", "parameter-removed":
		return "Stop sending it: requests that carry it may be rejected."
	case "channel-removed", "message-removed":
		return "Stop publishing or consuming it; move to its replacement."
	case "response-became-nullable":
		return "Handle null where you read this value."
	case "response-variant-added":
		return "Handle the new variant (or ignore unknown ones) when decoding."
	}
	switch f.Category {
	case rules.CatRemoval:
		if f.Sunset != "" {
			return "Stop using it: it was deprecated with sunset " + f.Sunset + " and is gone in this version."
		}
		return "Stop using it before upgrading; move to its replacement."
	case rules.CatRequirement:
		return "Send the newly required value in every request."
	case rules.CatType:
		return "Update your models and parsing for the new type or format."
	case rules.CatConstraint:
		if f.Dir == compat.DirResponse {
			return "Accept the wider range of values in responses."
		}
		return "Keep the values you send within the new limits."
	case rules.CatEnum:
		if f.Dir == compat.DirResponse {
			return "Handle the new values (map unknown ones to a fallback) before they are sent."
		}
		return "Stop sending the values that are no longer accepted."
	case rules.CatComposition:
		return "Update how you build or decode the polymorphic value."
	case rules.CatMedia:
		return "Use the media types and status codes the new version documents."
	case rules.CatSecurity:
		return "Update your credentials or scopes to what the operation now requires."
	case rules.CatServer:
		return "Point your client at the new server URL."
	case rules.CatSDK:
		return "Regenerate your client and update code that names the renamed element."
	}
	return "Review the change before upgrading."
}
