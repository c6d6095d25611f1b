package preflight

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/accord-dev/accord/contracts"
)

// reasonKey is the neutral operation extension contracts written before
// x-accord had a reason key use to say why idempotency is off; x-accord's
// own reason (Policy.Reason) is read first.
const reasonKey = "x-accord-reason"

// moneyField matches property names that carry an amount of money.
var moneyField = regexp.MustCompile(`(?i)amount|price|total|balance|fee`)

// idempotencyKeyed: every operation that creates something or moves money
// must not run twice when a call is repeated: the contract declares a key
// the provider honours (or the client keeps its own record), or says
// explicitly, with a reason, that idempotency is off.
func (s *state) idempotencyKeyed() Check {
	var items []Item
	n := 0
	for _, t := range s.targets {
		for _, o := range t.ops {
			if o.oa == nil || o.Webhook {
				continue
			}
			creating := o.Method == "POST"
			money := ""
			switch o.Method {
			case "POST", "PUT", "PATCH", "DELETE":
				money = moneyIn(o.oa)
			}
			if !creating && money == "" {
				continue
			}
			n++
			what := "creates"
			if money != "" {
				what = "moves money (" + money + ")"
			}
			p := o.Policy
			switch {
			case p.Idempotency == contracts.IdempotencyClient:
				items = append(items, yes(o.label()+" "+what+": the client keeps its own record of each call (idempotency: client)", o.where()))
			case p.KeyHonoured():
				how := "idempotency " + string(p.Idempotency)
				if p.KeyDeclared {
					how = "declares an Idempotency-Key"
				}
				items = append(items, yes(o.label()+" "+what+": "+how, o.where()))
			case p.Idempotency == contracts.IdempotencyOff && p.IdempotencyExplicit:
				r := strings.TrimSpace(p.Reason)
				if r == "" {
					r, _ = o.oa.Extensions[reasonKey].(string)
					r = strings.TrimSpace(r)
				}
				if r != "" {
					items = append(items, yes(o.label()+" "+what+": idempotency off because "+r, o.where()))
				} else {
					items = append(items, no(o.label()+" "+what+": idempotency is off without a reason (add reason to the operation's x-accord)", o.where()))
				}
			default:
				items = append(items, no(o.label()+" "+what+" with no Idempotency-Key declared and no explicit idempotency: a repeated call may charge or create twice", o.where()))
			}
		}
	}
	return verdict("idempotency-keyed", "creating and money-moving operations are keyed", items,
		fmt.Sprintf("%s keyed or explicitly off with a reason", plural(n, "operation")),
		"some creating or money-moving operations can run twice",
		"no operation creates something or moves money")
}

// moneyIn names the first money field of an operation's JSON request body
// (two levels deep), "" when there is none.
func moneyIn(o *openapi3.Operation) string {
	if o.RequestBody == nil || o.RequestBody.Value == nil {
		return ""
	}
	for _, mt := range o.RequestBody.Value.Content {
		if mt == nil || mt.Schema == nil {
			continue
		}
		if f := moneyProp(mt.Schema.Value, 0); f != "" {
			return f
		}
	}
	return ""
}

func moneyProp(s *openapi3.Schema, depth int) string {
	if s == nil || depth > 2 {
		return ""
	}
	for name, p := range s.Properties {
		if moneyField.MatchString(name) {
			return name
		}
		if p != nil {
			if f := moneyProp(p.Value, depth+1); f != "" {
				return f
			}
		}
	}
	for _, m := range s.AllOf {
		if m != nil {
			if f := moneyProp(m.Value, depth+1); f != "" {
				return f
			}
		}
	}
	return ""
}

// storeWiring is the application wiring a shared idempotency store.
var (
	sharedStoreRe = regexp.MustCompile(`New(SQL|Redis)IdempotencyStore\(`)
	storeOptionRe = regexp.MustCompile(`WithIdempotencyStore\(`)
)

// sharedStore: the server's idempotency records must be shared by every
// replica, or a retry that lands on another replica runs the handler again.
// accord.yaml does not say how many replicas run, so more than one is
// assumed: the in-memory default only passes when nothing needs it.
func (s *state) sharedStore() Check {
	var needing []*target
	for _, t := range s.targets {
		if !t.serves() {
			continue
		}
		for _, o := range t.ops {
			if o.Policy.KeyHonoured() && !o.Webhook {
				needing = append(needing, t)
				break
			}
		}
	}
	if len(needing) == 0 {
		return Check{ID: "idempotency-shared-store", Title: "idempotency records shared across replicas", Status: Yes,
			Why: "no generated server keeps idempotency records"}
	}
	c := Check{ID: "idempotency-shared-store", Title: "idempotency records shared across replicas"}
	shared, okShared := s.findGo(sharedStoreRe)
	option, okOption := s.findGo(storeOptionRe)
	switch {
	case okShared && okOption:
		c.Status, c.Why = Yes, "the server is given a shared (SQL or Redis) idempotency store"
		c.Items = []Item{yes("WithIdempotencyStore", option), yes("shared store constructed", shared)}
	case okOption:
		c.Status, c.Why = Yes, "the server is given an idempotency store of the application's own (make sure replicas share it)"
		c.Items = []Item{yes("WithIdempotencyStore", option)}
	default:
		c.Status = No
		c.Why = "servers for " + names(needing) + " keep idempotency records in memory (the default), which replicas do not share; " +
			"accord.yaml does not declare the replica count, so more than one is assumed: pass WithIdempotencyStore(NewSQLIdempotencyStore(...))"
	}
	return c
}
