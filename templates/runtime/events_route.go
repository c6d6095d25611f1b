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

// rtTopicPattern is a channel address with {parameters}, compiled: each
// parameter matches a run of characters without '.' or '/', the token
// separators of NATS subjects and of path-like addresses.
type rtTopicPattern struct {
	re     *regexp.Regexp
	params []string // by capture group
	parts  []string // literal text around the parameters: len(params)+1
}

// rtIsPattern reports whether topic names parameters.
func rtIsPattern(topic string) bool { return strings.ContainsAny(topic, "{}") }

func rtCompilePattern(topic string) (*rtTopicPattern, error) {
	p := &rtTopicPattern{}
	var re strings.Builder
	re.WriteString("^")
	seen := map[string]bool{}
	rest := topic
	for {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			if strings.ContainsRune(rest, '}') {
				return nil, fmt.Errorf("topic pattern %q: unbalanced }", topic)
			}
			p.parts = append(p.parts, rest)
			re.WriteString(regexp.QuoteMeta(rest))
			break
		}
		lit := rest[:open]
		if strings.ContainsRune(lit, '}') {
			return nil, fmt.Errorf("topic pattern %q: unbalanced }", topic)
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return nil, fmt.Errorf("topic pattern %q: unclosed {", topic)
		}
		name := rest[open+1 : open+end]
		if name == "" || strings.ContainsAny(name, "{") {
			return nil, fmt.Errorf("topic pattern %q: a parameter needs a name, like {tenant}", topic)
		}
		if seen[name] {
			return nil, fmt.Errorf("topic pattern %q: parameter {%s} appears twice", topic, name)
		}
		if len(p.params) > 0 && lit == "" {
			return nil, fmt.Errorf("topic pattern %q: two parameters with nothing between them", topic)
		}
		seen[name] = true
		p.parts, p.params = append(p.parts, lit), append(p.params, name)
		re.WriteString(regexp.QuoteMeta(lit) + `([^./]+)`)
		rest = rest[open+end+1:]
	}
	re.WriteString("$")
	var err error
	if p.re, err = regexp.Compile(re.String()); err != nil {
		return nil, fmt.Errorf("topic pattern %q: %w", topic, err)
	}
	return p, nil
}

// match returns the parameter values of topic, or ok false.
func (p *rtTopicPattern) match(topic string) (map[string]string, bool) {
	m := p.re.FindStringSubmatch(topic)
	if m == nil {
		return nil, false
	}
	vals := make(map[string]string, len(p.params))
	for i, name := range p.params {
		vals[name] = m[i+1]
	}
	return vals, true
}

// rtNATSSubject renders a pattern for NATS, each parameter as the
// one-token wildcard "*"; a parameter that is not a whole dot-separated
// token cannot be a NATS wildcard, and the subject is returned as written
// (JetStream then refuses it, naming it).
func rtNATSSubject(topic string) string {
	p, err := rtCompilePattern(topic)
	if err != nil || len(p.params) == 0 {
		return topic
	}
	var b strings.Builder
	for i, lit := range p.parts {
		b.WriteString(lit)
		if i == len(p.params) {
			break
		}
		next := p.parts[i+1]
		if (lit != "" && !strings.HasSuffix(lit, ".")) || (next != "" && !strings.HasPrefix(next, ".")) {
			return topic
		}
		b.WriteString("*")
	}
	return b.String()
}

// rtKafkaRegex renders a topic or pattern as an anchored regex for
// the Kafka client's regex consumption.
func rtKafkaRegex(topic string) string {
	p, err := rtCompilePattern(topic)
	if err != nil || len(p.params) == 0 {
		return "^" + regexp.QuoteMeta(topic) + "$"
	}
	return p.re.String()
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
