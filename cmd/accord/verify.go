package main

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/verify"
)

type verifyOptions struct {
	file        string
	target      string
	format      string
	maxRequests int
	rate        float64
	seed        uint64
	secrets     []string
	credentials []string
	operations  []string
	hookAddr    string
	hookWait    time.Duration
	callback    string
	expectHooks bool
	noHooks     bool
}

func newVerifyCmd(e *env) *cobra.Command {
	var o verifyOptions
	cmd := &cobra.Command{
		Use:   "verify CONTRACT --target URL",
		Short: "Check that a live provider honours its OpenAPI contract",
		Long: `verify sends every operation of the contract requests built from its examples
and schemas to the provider at --target (that host only), then checks: the
status codes are declared, bodies and headers are valid against the response
schemas, a repeated Idempotency-Key replays the first answer, and invalid
bodies get a 4xx, never a 5xx. Creations run first, so reads and changes
address what they created.

Webhooks: when the contract declares webhooks, verify listens on
--webhook-addr (loopback, a free port by default) and registers
http://ADDR/{webhook} with the provider by PUT --callback-path (accord mock's
mechanism; start it with --webhook OPERATION=WEBHOOK). Every delivery that
arrives until --webhook-wait passes without one is checked: signed with the
webhook's scheme (pass the key with --secret, e.g. the sandbox key accord mock
prints), fresh, and valid against its schema. A provider without the
registration endpoint can be configured to deliver to a fixed --webhook-addr.
--expect-webhooks makes "no delivery at all" a violation.

Requests are bounded (--max-requests) and paced (--rate per second).
Signed operations are signed with --secret SCHEME=KEY; credentials are sent
with --credential SCHEME=VALUE.

Exit codes: 0 the provider conforms, 1 a violation was found, 2 usage error,
3 the contract could not be read.`,
		Example: `  accord verify examples/payments/openapi.yaml --target http://127.0.0.1:8080
  accord verify api.yaml --target https://sandbox.partner.example --credential bearerAuth=tok --format sarif
  accord mock api.yaml --stateful --webhook createPayment=payment.succeeded --secret partner-webhook=$KEY &
  accord verify api.yaml --target http://127.0.0.1:4010 --secret partner-webhook=$KEY --expect-webhooks`,
		Args: minArgs(1, "contract file (try: accord verify openapi.yaml --target URL)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageError("verify takes one contract, got %d", len(args))
			}
			o.file = args[0]
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			return runVerify(ctx, e, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.target, "target", "", "base URL of the provider (required)")
	f.StringVar(&o.format, "format", "text", "output format: "+strings.Join(verify.Formats(), ", "))
	f.IntVar(&o.maxRequests, "max-requests", 500, "stop after this many requests")
	f.Float64Var(&o.rate, "rate", 50, "requests per second at most")
	f.Uint64Var(&o.seed, "seed", 0, "seed for synthesised requests")
	f.StringArrayVar(&o.secrets, "secret", nil, "signing key of a signature scheme, SCHEME=KEY (repeatable)")
	f.StringArrayVar(&o.credentials, "credential", nil, "credential of a security scheme, SCHEME=VALUE (repeatable)")
	f.StringSliceVar(&o.operations, "operation", nil, "check only these operation ids (repeatable)")
	f.StringVar(&o.hookAddr, "webhook-addr", "127.0.0.1:0", "address of the listener webhooks are delivered to")
	f.DurationVar(&o.hookWait, "webhook-wait", 2*time.Second, "end the webhook check after this long without a delivery")
	f.StringVar(&o.callback, "callback-path", "/__accord/callback", "where the provider takes PUT {\"url\": ...} to learn the callback")
	f.BoolVar(&o.expectHooks, "expect-webhooks", false, "fail when the contract declares webhooks and none arrives")
	f.BoolVar(&o.noHooks, "no-webhooks", false, "do not check webhooks")
	return cmd
}

func runVerify(ctx context.Context, e *env, o verifyOptions) error {
	if !slices.Contains(verify.Formats(), o.format) {
		return usageError("--format must be one of %s, not %q", strings.Join(verify.Formats(), ", "), o.format)
	}
	if o.target == "" {
		return usageError("--target is required (the provider's base URL)")
	}
	target, err := url.Parse(o.target)
	if err != nil || target.Host == "" || (target.Scheme != "http" && target.Scheme != "https") {
		return usageError("--target %q: want an http(s) URL with a host", o.target)
	}
	if o.maxRequests <= 0 {
		return usageError("--max-requests must be positive")
	}
	if o.rate <= 0 {
		return usageError("--rate must be positive")
	}
	if o.hookWait <= 0 {
		return usageError("--webhook-wait must be positive")
	}
	if !strings.HasPrefix(o.callback, "/") {
		return usageError("--callback-path must start with /, not %q", o.callback)
	}
	secrets, err := parseSchemeFlags("--secret", o.secrets)
	if err != nil {
		return err
	}
	creds, err := parseSchemeFlags("--credential", o.credentials)
	if err != nil {
		return err
	}
	docs, err := loadServedContracts(ctx, e, []string{o.file})
	if err != nil {
		return err
	}
	vo := verify.Options{Target: target, MaxRequests: o.maxRequests, Rate: o.rate, Seed: o.seed,
		Credentials: creds, Secrets: map[string][]byte{}, Operations: o.operations,
		WebhookAddr: o.hookAddr, WebhookWait: o.hookWait, CallbackPath: o.callback, ExpectWebhooks: o.expectHooks, SkipWebhooks: o.noHooks}
	for k, v := range secrets {
		vo.Secrets[k] = []byte(v)
	}
	rep, err := verify.Run(ctx, docs[0], vo)
	if err != nil {
		return &exitError{code: exitInput, err: err}
	}
	if err := verify.Write(e.stdout, o.format, rep); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	if rep.Failed() {
		return silentExit(exitFailed)
	}
	return nil
}
