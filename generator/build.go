package generator

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"

	"github.com/accord-dev/accord/contracts"
)

// resolvePolicies resolves every operation's policy: the document's and the
// operation's x-accord, then opts.Overrides, then the operation's own
// override. An override naming no operation, or a policy naming no signing
// scheme, is an error carrying the problems.
func resolvePolicies(doc *contracts.Document, opts Options) ([]contracts.OperationPolicy, error) {
	perOp := make(map[string]contracts.PolicySpec, len(opts.OperationOverrides))
	for _, ov := range opts.OperationOverrides {
		perOp[ov.ID] = ov.Spec
	}
	ops, problems := doc.PoliciesWith(opts.Overrides, perOp)
	for _, ov := range opts.OperationOverrides {
		if !slices.ContainsFunc(ops, func(o contracts.OperationPolicy) bool { return o.ID == ov.ID }) {
			problems = append(problems, contracts.Problem{
				Pos: ov.Pos, Severity: contracts.SeverityError, Code: "unknown-operation",
				Message: fmt.Sprintf("operation %q is not in %s", ov.ID, doc.Name),
				Hint:    "operations are named by operationId (or \"METHOD /path\" when the contract gives none)",
			})
		}
	}
	if contracts.HasErrors(problems) {
		var errs []contracts.Problem
		for _, p := range problems {
			if p.Severity == contracts.SeverityError {
				errs = append(errs, p)
			}
		}
		return nil, &contracts.Error{Class: contracts.ClassInvalid, Problems: errs}
	}
	return ops, nil
}

// buildModel joins the resolved policies with oapi-codegen's operation
// definitions (for the Go names) and the response types the facade used.
func buildModel(pkg, title string, parts Parts, out oapiOutput, responses map[string]string,
	pols []contracts.OperationPolicy, schemes map[string]contracts.SignatureScheme) *Model {
	m := &Model{Package: pkg, Version: Version, Title: title, Parts: parts}
	sigs := map[string]*Signature{}
	for _, name := range sortedKeys(schemes) {
		s := schemes[name]
		m.Signatures = append(m.Signatures, Signature{
			Name: s.Name, Algorithm: s.Algorithm, Format: s.Format,
			SignatureHeader: s.SignatureHeader, TimestampHeader: s.TimestampHeader,
			Tolerance: s.Tolerance, Literal: signatureLiteral(s),
		})
	}
	for i := range m.Signatures {
		sigs[m.Signatures[i].Name] = &m.Signatures[i]
	}

	defs := map[string]*codegen.OperationDefinition{}
	for i := range out.ops {
		d := &out.ops[i]
		defs[d.Method+" "+d.Path] = d
	}
	hooks := map[string]*codegen.OperationDefinition{}
	for i := range out.webhooks {
		d := &out.webhooks[i]
		hooks[d.Method+" "+d.WebhookName] = d
	}

	for _, p := range pols {
		op := Operation{
			ID: p.ID, Method: p.Method, Path: p.Path, Webhook: p.Webhook,
			Policy: p.Policy, PolicyLiteral: policyLiteral(p.Policy),
			Signature: sigs[p.Policy.Signature],
		}
		if p.Webhook {
			if d := hooks[p.Method+" "+p.Path]; d != nil {
				fillOperation(&op, d, parts, responses)
			}
			m.Webhooks = append(m.Webhooks, op)
			continue
		}
		if d := defs[p.Method+" "+p.Path]; d != nil {
			fillOperation(&op, d, parts, responses)
		}
		m.Operations = append(m.Operations, op)
	}
	goNames := map[string]string{}
	for _, op := range m.Operations {
		goNames[op.ID] = op.GoName
	}
	for i := range m.Operations {
		op := &m.Operations[i]
		op.ClientRecorded = op.Policy.Idempotency == contracts.IdempotencyClient && contracts.UnsafeMethod(op.Method)
		op.ReconcileGoName = goNames[op.Policy.Reconcile]
	}
	return m
}

// fillOperation copies oapi-codegen's names for one path operation. The
// builders and the response type exist only when the client is generated.
func fillOperation(op *Operation, d *codegen.OperationDefinition, parts Parts, responses map[string]string) {
	op.GoName = d.OperationId
	// One line, whitespace collapsed: templates put it in // comments.
	op.Summary = strings.Join(strings.Fields(d.Summary), " ")
	op.Deprecated = d.Spec != nil && d.Spec.Deprecated
	for _, pp := range d.PathParams {
		op.PathParams = append(op.PathParams, PathParam{Name: pp.ParamName, GoName: pp.GoVariableName(), GoType: pp.TypeDef()})
	}
	if d.RequiresParamObject() {
		op.ParamsType = d.OperationId + "Params"
	}
	op.HasBody = d.Spec != nil && d.Spec.RequestBody != nil
	op.BodyRequired = d.BodyRequired
	for _, r := range d.Responses {
		if c, err := strconv.Atoi(r.StatusCode); err == nil && c >= 200 && c < 300 {
			op.Success = append(op.Success, c)
			for _, rc := range r.Contents {
				op.SuccessNotJSON = op.SuccessNotJSON || !rc.IsJSON()
			}
		}
	}
	slices.Sort(op.Success)
	op.Success = slices.Compact(op.Success)
	if !parts.Client {
		return
	}
	// A webhook's builders take the target URL where a path operation's
	// take the server: New<Op>WebhookRequest(targetURL, ...).
	builder := "New" + d.OperationId + "Request"
	if d.IsWebhook {
		builder = "New" + d.OperationId + "WebhookRequest"
	}
	op.RawBuilder = builder
	if op.HasBody {
		op.RawBuilder += "WithBody"
	}
	for _, b := range d.Bodies {
		if !b.IsSupportedByClient() {
			continue
		}
		op.Bodies = append(op.Bodies, Body{
			ContentType: b.ContentType,
			Builder:     builder + b.Suffix(),
			Type:        d.OperationId + b.NameTag + "RequestBody",
			JSON:        b.IsJSON(),
		})
	}
	for i, b := range d.Bodies {
		if b.Default && b.IsSupportedByClient() {
			for j := range op.Bodies {
				if op.Bodies[j].ContentType == d.Bodies[i].ContentType {
					op.DefaultBody = &op.Bodies[j]
				}
			}
		}
	}
	if d.IsWebhook {
		return
	}
	op.Direct = directRequest(op, d)
	rt := responses[d.OperationId+"WithResponse"]
	if rt == "" {
		rt = responses[d.OperationId+"WithBodyWithResponse"]
	}
	if rt != "" {
		op.ResponseType = rt
		op.ResponseParser = "Parse" + codegen.UppercaseFirstCharacter(rt)
	}
}

// unretriedNotes names every unsafe operation the client will send exactly
// once because the contract does not say the provider honours an
// Idempotency-Key, and how to opt in. An explicit "off" is a decision, not
// an oversight, and gets no note.
func unretriedNotes(pols []contracts.OperationPolicy) []string {
	var notes []string
	for _, p := range pols {
		pol := p.Policy
		if p.Webhook || !contracts.UnsafeMethod(p.Method) || pol.Retries == 0 || pol.KeyHonoured() ||
			pol.Idempotency == contracts.IdempotencyClient || (pol.IdempotencyExplicit && pol.Idempotency == contracts.IdempotencyOff) {
			continue
		}
		notes = append(notes, fmt.Sprintf("%s (%s %s) will not be retried: the contract does not say the provider honours an Idempotency-Key, "+
			"and repeating it could repeat its effect. If the provider honours keys, declare the Idempotency-Key header parameter "+
			"or set x-accord: {idempotency: optional}; if it has no idempotency, x-accord: {idempotency: client} records calls on the client side",
			p.ID, p.Method, p.Path))
	}
	return notes
}
