package generator

import (
	"sort"

	"github.com/accord-dev/accord/contracts"
)

// The webhook inbox as the templates see it (webhook_receiver.tmpl's
// WebhookInbox, webhook_sender.tmpl's WithWebhookExpecter). A webhook goes
// through the inbox unless its x-accord says inbox: false; x-accord
// correlates ties it to the API call it follows.

// WebhookCorrelation is one webhook's x-accord correlates, resolved.
type WebhookCorrelation struct {
	Webhook   string // the webhook's operation id
	Operation string // the call it follows
	// EventPointer/EventHeader locate the value in the webhook,
	// ResponsePointer/ResponseHeader in the call's response.
	EventPointer, EventHeader       string
	ResponsePointer, ResponseHeader string
	// DeadlineLiteral is the deadline as a Go expression of type time.Duration.
	DeadlineLiteral string
}

// Inbox reports whether the webhook goes through the inbox (x-accord inbox,
// on unless false) when the receiver is given a queue.
func (o Operation) Inbox() bool { return o.Webhook && !o.Policy.NoInbox }

// Correlation is the webhook's resolved x-accord correlates, nil when it
// has none (or its expressions do not parse, which validation reports).
func (o Operation) Correlation() *WebhookCorrelation {
	c := o.Policy.Correlates
	if !o.Inbox() || c == nil {
		return nil
	}
	ev, ok1 := contracts.ParseCorrelationLocation(c.Event, "request")
	resp, ok2 := contracts.ParseCorrelationLocation(c.Response, "response")
	if !ok1 || !ok2 {
		return nil
	}
	return &WebhookCorrelation{
		Webhook: o.ID, Operation: c.Operation,
		EventPointer: ev.Pointer, EventHeader: ev.Header,
		ResponsePointer: resp.Pointer, ResponseHeader: resp.Header,
		DeadlineLiteral: durationLiteral(c.Deadline),
	}
}

// WebhookWaitLiteral is how long the webhook's early events wait for their
// call's response, as a Go expression ("0" when uncorrelated).
func (o Operation) WebhookWaitLiteral() string {
	if c := o.Correlation(); c != nil {
		return c.DeadlineLiteral
	}
	return "0"
}

// HasInbox reports whether any webhook goes through the inbox.
func (m *Model) HasInbox() bool {
	for _, w := range m.Webhooks {
		if w.GoName != "" && w.Inbox() {
			return true
		}
	}
	return false
}

// WebhookExpectations groups the correlations by the operation whose
// successful call expects them, operations sorted, for the client's
// WithWebhookExpecter.
func (m *Model) WebhookExpectations() []WebhookExpectationGroup {
	by := map[string][]WebhookCorrelation{}
	for _, w := range m.Webhooks {
		if c := w.Correlation(); c != nil {
			by[c.Operation] = append(by[c.Operation], *c)
		}
	}
	out := make([]WebhookExpectationGroup, 0, len(by))
	for op, cs := range by {
		out = append(out, WebhookExpectationGroup{Operation: op, Correlations: cs})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Operation < out[j].Operation })
	return out
}

// WebhookExpectationGroup is one operation's expected webhooks.
type WebhookExpectationGroup struct {
	Operation    string
	Correlations []WebhookCorrelation
}

// WebhookReconciles maps each inbox webhook with a reconcile operation
// (x-accord reconcile) to it, webhooks sorted.
func (m *Model) WebhookReconciles() [][2]string {
	var out [][2]string
	for _, w := range m.Webhooks {
		if w.Inbox() && w.Policy.Reconcile != "" {
			out = append(out, [2]string{w.ID, w.Policy.Reconcile})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}
