package runtime

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
)

// EventRoute is one receive operation's registration on an EventConsumer:
// where its messages arrive and the operation's own policy, which
// overrides the consumer-wide options (x-accord on the operation).
type EventRoute struct {
	// Operation names the receive operation, for errors and dead letters.
	Operation string
	// Topic is an exact topic or subject, or a channel address with
	// parameters ("invoices.{tenant}.created"): each {name} matches one
	// dot-separated token and its value reaches the handler in
	// EventDelivery.Params. A pattern is subscribed with the transport's
	// wildcard (NATS "*", a Kafka regex, the memory transport's matcher)
	// unless EventConsumerOptions.ChannelTopics lists its concrete topics.
	Topic string
	// MaxAttempts is the handler runs before the dead letter (x-accord
	// retries + 1); 0 takes the consumer's.
	MaxAttempts int
	// BackoffBase and BackoffCap bound the full-jitter delay between
	// attempts; 0 takes the consumer's.
	BackoffBase, BackoffCap time.Duration
	// DeadLetterTopic is the operation's dead-letter destination (x-accord
	// dlq); "" takes the consumer's DeadLetterTopic of the delivery's topic.
	DeadLetterTopic string
	// Scheme names the signature scheme (x-accord signature) whose
	// verifier checks the operation's messages: EventConsumerOptions
	// Verifiers[Scheme], else Verifier. "" verifies with Verifier when set.
	Scheme string
	// NoInbox skips the inbox (x-accord inbox: false): redeliveries run
	// the handler again.
	NoInbox bool
}

// rtTopicPattern is a channel address with {parameters}, compiled.
type rtTopicPattern struct {
	tokens []string // literal tokens; "" where a parameter stands
	params []string // parameter names by token index, "" for literals
}

// rtIsPattern reports whether topic names parameters.
func rtIsPattern(topic string) bool { return strings.ContainsAny(topic, "{}") }

func rtCompilePattern(topic string) (*rtTopicPattern, error) {
	p := &rtTopicPattern{}
	seen := map[string]bool{}
	for _, tok := range strings.Split(topic, ".") {
		name, isParam := strings.CutPrefix(tok, "{")
		if isParam {
			var ok bool
			if name, ok = strings.CutSuffix(name, "}"); !ok || name == "" || strings.ContainsAny(name, "{}") {
				return nil, fmt.Errorf("topic pattern %q: a parameter must be a whole dot-separated token like {tenant}", topic)
			}
			if seen[name] {
				return nil, fmt.Errorf("topic pattern %q: parameter {%s} appears twice", topic, name)
			}
			seen[name] = true
			p.tokens, p.params = append(p.tokens, ""), append(p.params, name)
			continue
		}
		if strings.ContainsAny(tok, "{}") {
			return nil, fmt.Errorf("topic pattern %q: a parameter must be a whole dot-separated token like {tenant}", topic)
		}
		p.tokens, p.params = append(p.tokens, tok), append(p.params, "")
	}
	return p, nil
}

// match returns the parameter values of topic, or ok false.
func (p *rtTopicPattern) match(topic string) (map[string]string, bool) {
	toks := strings.Split(topic, ".")
	if len(toks) != len(p.tokens) {
		return nil, false
	}
	var vals map[string]string
	for i, tok := range toks {
		if p.params[i] == "" {
			if tok != p.tokens[i] {
				return nil, false
			}
			continue
		}
		if tok == "" {
			return nil, false
		}
		if vals == nil {
			vals = make(map[string]string, len(p.params))
		}
		vals[p.params[i]] = tok
	}
	return vals, true
}

// rtNATSSubject renders a pattern for NATS: each parameter becomes "*".
func rtNATSSubject(topic string) string {
	p, err := rtCompilePattern(topic)
	if err != nil || !rtIsPattern(topic) {
		return topic
	}
	toks := make([]string, len(p.tokens))
	for i, t := range p.tokens {
		toks[i] = t
		if p.params[i] != "" {
			toks[i] = "*"
		}
	}
	return strings.Join(toks, ".")
}

// rtKafkaRegex renders a topic or pattern as an anchored regex for
// franz-go's regex consumption.
func rtKafkaRegex(topic string) string {
	p, err := rtCompilePattern(topic)
	if err != nil || !rtIsPattern(topic) {
		return "^" + regexp.QuoteMeta(topic) + "$"
	}
	toks := make([]string, len(p.tokens))
	for i, t := range p.tokens {
		toks[i] = regexp.QuoteMeta(t)
		if p.params[i] != "" {
			toks[i] = `[^.]+`
		}
	}
	return "^" + strings.Join(toks, `\.`) + "$"
}

// ErrEventParam is wrapped by CheckEventParam's errors.
var ErrEventParam = errors.New("invalid channel parameter")

// CheckEventParam checks one channel parameter value, on publish before it
// goes into a topic and on receive before it reaches a handler: empty, or
// holding a token separator ('.', '/') or a wildcard of any broker, it
// would address another channel than the one the contract names (and a
// consumer's one-token wildcard would never see it).
func CheckEventParam(name, v string) error {
	if v == "" {
		return fmt.Errorf("%w: %s is empty", ErrEventParam, name)
	}
	if i := strings.IndexFunc(v, func(r rune) bool {
		return r == '.' || r == '/' || r == '*' || r == '>' || r == '#' || r == '+' || r == '{' || r == '}' ||
			unicode.IsSpace(r) || unicode.IsControl(r)
	}); i >= 0 {
		return fmt.Errorf("%w: %s %q may not contain %q (a separator or wildcard)", ErrEventParam, name, v, v[i:i+1])
	}
	return nil
}
