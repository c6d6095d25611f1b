package runtime

import (
	"fmt"
	"strings"
)

// EventInvalidError lists how a message breaks its schema: a generated
// publisher returns it, sending nothing, and a generated consumer
// dead-letters the message with it as the reason (it wraps
// ErrEventPermanent: no redelivery makes a payload valid).
type EventInvalidError struct {
	Operation  string
	Message    string // the AsyncAPI message, when the operation has several
	Violations []Violation
}

func (e *EventInvalidError) Error() string {
	parts := make([]string, len(e.Violations))
	for i, v := range e.Violations {
		switch {
		case v.In == "channel":
			parts[i] = "channel parameter " + v.Parameter + ": " + v.Detail
		case v.Pointer == "":
			parts[i] = v.Detail
		default:
			parts[i] = v.Pointer + ": " + v.Detail
		}
	}
	what := e.Operation
	if e.Message != "" {
		what += " message " + e.Message
	}
	return what + ": the message breaks the contract: " + strings.Join(parts, "; ")
}

func (e *EventInvalidError) Unwrap() error { return ErrEventPermanent }

// ValidateEvent checks a JSON payload with a generated schema check (nil:
// nothing to check beyond JSON syntax).
//
//accord:generated-only
func ValidateEvent(op, message string, payload []byte, check func(JSON, *Violations)) error {
	var d JSONDoc
	x, ok := rtParseJSON(&d, payload)
	if !ok {
		return &EventInvalidError{Operation: op, Message: message, Violations: []Violation{{In: "body", Detail: "is not valid JSON"}}}
	}
	var v Violations
	if d.dup >= 0 {
		rtAddDuplicate(&d, &v)
	} else if check != nil {
		check(x, &v)
	}
	if v.ok() {
		return nil
	}
	return &EventInvalidError{Operation: op, Message: message, Violations: v.list}
}

// SelectEventMessage says which of an operation's messages a delivery
// carries: the one its EventHeaderMessage names, else the only one whose
// schema the payload passes. A delivery that names none of them, or
// matches none or several, is refused (permanently: it goes to the
// dead-letter destination).
//
//accord:generated-only
func SelectEventMessage(op string, d *EventDelivery, names []string, checks []func(JSON, *Violations)) (int, error) {
	if name := d.Headers[EventHeaderMessage]; name != "" {
		for i, n := range names {
			if n == name {
				return i, nil
			}
		}
		return -1, fmt.Errorf("%s: message %q is none of %s: %w", op, name, strings.Join(names, ", "), ErrEventPermanent)
	}
	var doc JSONDoc
	x, ok := rtParseJSON(&doc, d.Payload)
	if !ok || doc.dup >= 0 {
		return -1, &EventInvalidError{Operation: op, Violations: []Violation{{In: "body", Detail: "is not valid JSON"}}}
	}
	found := -1
	for i, check := range checks {
		var v Violations
		if check != nil && !Matches(check, x, &v) {
			continue
		}
		if found >= 0 {
			return -1, fmt.Errorf("%s: the payload is both %s and %s and no %s header says which: %w", op, names[found], names[i], EventHeaderMessage, ErrEventPermanent)
		}
		found = i
	}
	if found < 0 {
		return -1, fmt.Errorf("%s: the payload is none of %s: %w", op, strings.Join(names, ", "), ErrEventPermanent)
	}
	return found, nil
}

// CheckEventParamValue checks a channel parameter value with
// CheckEventParam and then its schema (check; nil for none). The error is
// an *EventInvalidError: on publish nothing is sent, on receive the
// message is dead-lettered.
//
//accord:generated-only
func CheckEventParamValue(op, name, value string, check func(JSON, *Violations)) error {
	if err := CheckEventParam(name, value); err != nil {
		return &EventInvalidError{Operation: op, Violations: []Violation{{In: "channel", Parameter: name, Detail: err.Error()}}}
	}
	if check == nil {
		return nil
	}
	var v Violations
	v.At("channel", name)
	x, _ := ParamValue(&v, "", value)
	check(x, &v)
	if v.ok() {
		return nil
	}
	return &EventInvalidError{Operation: op, Violations: v.list}
}
