package rules

// Asymmetry explains why a rule judges requests and responses differently.
// Clients write requests and read responses, so a change that narrows what is
// accepted breaks writers and a change that widens what is produced breaks
// readers: every such pair of rules, and every rule whose logic depends on
// the direction, is listed here with its reason.
type Asymmetry struct {
	Rule   string
	Reason string
	// Fires is the direction where the example breaks.
	Fires Direction
	// Base and Head, when set, are a schema (YAML) before and after a change
	// that the registry tests place in a request body and in a response
	// body: the rule must report it in Fires only.
	Base, Head string
}

// Asymmetries returns the table, fresh on each call.
func Asymmetries() []Asymmetry {
	const (
		element = "the element only exists on the side clients write (for webhooks and callbacks, the side the API writes is a response)"
		reader  = "the element only exists on the side clients read"
	)
	return []Asymmetry{
		{Rule: "type-changed", Fires: Response, Base: "{type: integer}", Head: "{type: number}",
			Reason: "a request accepting more types still accepts what clients send; a response producing more types sends values clients cannot decode (and the reverse for a narrowing)"},
		{Rule: "format-changed", Fires: Request, Base: "{type: string}", Head: "{type: string, format: uuid}",
			Reason: "a format added to a request rejects values clients used to send; added to a response it only promises more; removed, it is the other way round"},
		{Rule: "discriminator-changed", Fires: Response, Base: discBase, Head: discHead,
			Reason: "a mapping value added to a request is one more thing clients may send; added to a response it is a type clients' decoders do not know"},
		{Rule: "request-property-required-added", Fires: Request, Base: "{type: object, properties: {a: {type: string}}}", Head: "{type: object, required: [b], properties: {a: {type: string}, b: {type: string}}}",
			Reason: "clients must now send it; in a response a new required property is only more data to ignore"},
		{Rule: "request-property-became-required", Fires: Request, Base: "{type: object, properties: {a: {type: string}}}", Head: "{type: object, required: [a], properties: {a: {type: string}}}",
			Reason: "clients that omitted it are rejected; in a response it is a stronger promise"},
		{Rule: "request-property-removed", Fires: Request, Base: "{type: object, additionalProperties: false, properties: {a: {type: string}, b: {type: string}}}", Head: "{type: object, additionalProperties: false, properties: {a: {type: string}}}",
			Reason: "a closed request object rejects the property clients still send; responses are judged by response-property-removed"},
		{Rule: "response-property-removed", Fires: Response, Base: "{type: object, properties: {a: {type: string}, b: {type: string}}}", Head: "{type: object, properties: {a: {type: string}}}",
			Reason: "clients reading it get nothing; removed from an open request object it is only ignored"},
		{Rule: "response-property-became-optional", Fires: Response, Base: "{type: object, required: [a], properties: {a: {type: string}}}", Head: "{type: object, properties: {a: {type: string}}}",
			Reason: "clients can no longer count on reading it; in a request, making a property optional only relaxes what clients must send"},
		{Rule: "request-nullable-removed", Fires: Request, Base: "{type: string, nullable: true}", Head: "{type: string}",
			Reason: "clients sending null are rejected; a response that stops producing null only removes a case"},
		{Rule: "response-became-nullable", Fires: Response, Base: "{type: string}", Head: "{type: string, nullable: true}",
			Reason: "clients reading the value meet null; a request that accepts null accepts more"},
		{Rule: "request-extensible-enum-narrowed", Fires: Request, Base: "{type: string, x-extensible-enum: [a, b]}", Head: "{type: string, x-extensible-enum: [a]}",
			Reason: "clients sending the unlisted value are rejected; a response's extensible list is open by definition, readers handle values they do not know"},
		{Rule: "request-enum-narrowed", Fires: Request, Base: "{type: string, enum: [a, b]}", Head: "{type: string, enum: [a]}",
			Reason: "clients sending the removed value are rejected; a response with fewer values only removes cases"},
		{Rule: "response-enum-widened", Fires: Response, Base: "{type: string, enum: [a]}", Head: "{type: string, enum: [a, b]}",
			Reason: "clients decoding the value meet one they do not know; a request accepting more values accepts everything it did"},
		{Rule: "request-range-narrowed", Fires: Request, Base: "{type: integer, maximum: 100}", Head: "{type: integer, maximum: 10}",
			Reason: "values clients send may fall outside the new range; a response within a smaller range stays within the old one"},
		{Rule: "request-length-narrowed", Fires: Request, Base: "{type: string, maxLength: 100}", Head: "{type: string, maxLength: 10}",
			Reason: "strings clients send may be too long now; shorter response strings fit clients' assumptions"},
		{Rule: "request-count-narrowed", Fires: Request, Base: "{type: array, items: {type: string}, maxItems: 100}", Head: "{type: array, items: {type: string}, maxItems: 10}",
			Reason: "arrays clients send may be too large now; smaller response arrays fit clients' assumptions"},
		{Rule: "request-pattern-changed", Fires: Request, Base: "{type: string}", Head: "{type: string, pattern: '^[a-z]+$'}",
			Reason: "strings clients send may no longer match; a response constrained by a pattern only promises more"},
		{Rule: "response-constraint-loosened", Fires: Response, Base: "{type: string, maxLength: 8}", Head: "{type: string, maxLength: 32}",
			Reason: "response values may exceed limits clients sized their storage for; a request accepting more accepts everything it did"},
		{Rule: "request-additional-properties-closed", Fires: Request, Base: "{type: object, properties: {a: {type: string}}}", Head: "{type: object, additionalProperties: false, properties: {a: {type: string}}}",
			Reason: "clients sending extra properties are rejected; a response that stops adding unlisted properties removes nothing clients could rely on"},
		{Rule: "request-oneof-ambiguous", Fires: Request, Base: "{type: object, required: [a, b], properties: {a: {type: string}, b: {type: string}}}", Head: "{oneOf: [{required: [a]}, {required: [b]}]}",
			Reason: "values clients send that match two alternatives are rejected; a response matching two alternatives still carries every value readers knew, and readers decode it without validating exclusivity"},
		{Rule: "content-media-type-changed", Fires: Request, Base: "{type: string}", Head: "{type: string, contentMediaType: application/json}",
			Reason: "a media type required of request content narrows what clients may embed; added to a response it only says more about what readers get (and dropped, it is the other way round)"},
		{Rule: "request-contains-narrowed", Fires: Request, Base: "{type: array, items: {type: string}}", Head: "{type: array, items: {type: string}, contains: {const: a}}",
			Reason: "arrays clients send may lack the matching item now demanded; a response promising one more only adds a guarantee"},
		{Rule: "response-contains-loosened", Fires: Response, Base: "{type: array, items: {type: string}, contains: {const: a}}", Head: "{type: array, items: {type: string}}",
			Reason: "readers lose the matching item they relied on; a request demanding less accepts everything it did"},
		{Rule: "request-dependent-required-added", Fires: Request, Base: "{type: object, properties: {a: {type: string}, b: {type: string}}}", Head: "{type: object, properties: {a: {type: string}, b: {type: string}}, dependentRequired: {a: [b]}}",
			Reason: "clients sending a without b are rejected; in a response it only promises more"},
		{Rule: "response-dependent-required-removed", Fires: Response, Base: "{type: object, properties: {a: {type: string}, b: {type: string}}, dependentRequired: {a: [b]}}", Head: "{type: object, properties: {a: {type: string}, b: {type: string}}}",
			Reason: "readers counting on b whenever a is present meet responses without it; a request requiring less accepts everything it did"},
		{Rule: "request-dependent-schema-added", Fires: Request, Base: "{type: object, properties: {a: {type: string}}}", Head: "{type: object, properties: {a: {type: string}}, dependentSchemas: {a: {required: [b]}}}",
			Reason: "objects clients send with the property must now match more; in a response it only promises more"},
		{Rule: "response-dependent-schema-removed", Fires: Response, Base: "{type: object, properties: {a: {type: string}}, dependentSchemas: {a: {required: [b]}}}", Head: "{type: object, properties: {a: {type: string}}}",
			Reason: "readers lose what the dependent schema promised; a request demanding less accepts everything it did"},
		{Rule: "request-conditional-required-added", Fires: Request, Base: "{type: object, properties: {kind: {type: string}, vat: {type: string}}}", Head: "{type: object, properties: {kind: {type: string}, vat: {type: string}}, if: {properties: {kind: {const: b}}}, then: {required: [vat]}}",
			Reason: "clients meeting the condition (and, for an if that requires nothing, every client omitting its properties) must now send more; in a response it only promises more"},
		{Rule: "response-conditional-required-removed", Fires: Response, Base: "{type: object, properties: {kind: {type: string}, vat: {type: string}}, if: {properties: {kind: {const: b}}}, then: {required: [vat]}}", Head: "{type: object, properties: {kind: {type: string}, vat: {type: string}}}",
			Reason: "readers counting on the property under the condition meet responses without it; a request requiring less accepts everything it did"},
		{Rule: "request-values-excluded", Fires: Request, Base: "{type: string}", Head: "{type: string, not: {enum: [x]}}",
			Reason: "clients sending an excluded value are rejected; a response excluding more values only sends fewer of them"},
		{Rule: "response-exclusion-removed", Fires: Response, Base: "{type: string, not: {enum: [x]}}", Head: "{type: string}",
			Reason: "readers meet values they were promised never to see; a request excluding less accepts everything it did"},
		{Rule: "request-variant-removed", Fires: Request, Base: "{oneOf: [{type: string}, {type: integer}]}", Head: "{oneOf: [{type: string}]}",
			Reason: "clients sending the removed alternative are rejected; a response with fewer alternatives only removes cases"},
		{Rule: "response-variant-added", Fires: Response, Base: "{oneOf: [{type: string}]}", Head: "{oneOf: [{type: string}, {type: integer}]}",
			Reason: "clients decoding the value meet an alternative they do not know; a request accepting more alternatives accepts everything it did"},
		{Rule: "request-default-changed", Fires: Request, Base: "{type: integer, default: 10}", Head: "{type: integer, default: 100}",
			Reason: "the server applies a default to what clients omit; a response's default is documentation"},
		{Rule: "parameter-removed", Fires: Request, Reason: element},
		{Rule: "parameter-required-added", Fires: Request, Reason: element},
		{Rule: "parameter-became-required", Fires: Request, Reason: element},
		{Rule: "parameter-style-changed", Fires: Request, Reason: element},
		{Rule: "parameter-type-widened", Fires: Request, Reason: element + "; a narrowing is a wire break reported by type-changed"},
		{Rule: "request-body-became-required", Fires: Request, Reason: element},
		{Rule: "sent-parameter-removed", Fires: Response, Reason: "webhook and callback requests are written by the API and read by the receiver; for the API's own operations see parameter-removed"},
		{Rule: "sent-parameter-became-optional", Fires: Response, Reason: "webhook and callback requests are written by the API and read by the receiver; for the API's own operations see parameter-became-required"},
		{Rule: "request-media-type-removed", Fires: Request, Reason: "clients send bodies in the removed type; for responses see response-media-type-removed"},
		{Rule: "response-media-type-removed", Fires: Response, Reason: "clients ask for and parse the removed type; for requests see request-media-type-removed"},
		{Rule: "response-success-status-removed", Fires: Response, Reason: reader},
		{Rule: "response-success-status-added", Fires: Response, Reason: reader},
		{Rule: "response-header-removed", Fires: Response, Reason: reader + "; a request header removed is parameter-removed"},
		{Rule: "response-header-became-optional", Fires: Response, Reason: reader + "; a request header becoming optional only relaxes clients"},
	}
}

const (
	discBase = `{oneOf: [{$ref: '#/components/schemas/A'}], discriminator: {propertyName: kind, mapping: {a: '#/components/schemas/A'}}}`
	discHead = `{oneOf: [{$ref: '#/components/schemas/A'}], discriminator: {propertyName: kind, mapping: {a: '#/components/schemas/A', b: '#/components/schemas/A'}}}`
)
