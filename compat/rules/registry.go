package rules

// All returns every rule, in a fresh slice: callers may sort or filter it.
// Adding a rule means adding its file and one line here; the registry tests
// then demand its fields, its testdata case and, if it is directional, its
// asymmetry entry.
func All() []Rule {
	return []Rule{
		// Paths, operations, channels.
		pathRemoved(),
		operationRemoved(),
		channelRemoved(),
		channelAddressChanged(),
		messageRemoved(),
		messageContentTypeChanged(),
		avroSchemaIncompatible(),
		protobufSchemaIncompatible(),
		serverURLChanged(),
		// Lifecycle: deprecation, sunset, stability, version.
		sunsetInvalid(),
		sunsetMovedEarlier(),
		sunsetRemoved(),
		removedBeforeSunset(),
		sunsetTooSoon(),
		stabilityLowered(),
		versionBumpMissing(),
		versionMinorBumpMissing(),
		// Security.
		securityRequirementAdded(),
		securitySchemeChanged(),
		// Parameters and bodies.
		parameterRemoved(),
		parameterRequiredAdded(),
		parameterBecameRequired(),
		parameterStyleChanged(),
		requestBodyBecameRequired(),
		requestMediaTypeRemoved(),
		sentParameterRemoved(),
		sentParameterBecameOptional(),
		// Responses.
		responseSuccessStatusRemoved(),
		responseSuccessStatusAdded(),
		responseMediaTypeRemoved(),
		responseHeaderRemoved(),
		responseHeaderBecameOptional(),
		// Schemas, both directions.
		typeChanged(),
		schemaTypeUnknown(),
		contentEncodingChanged(),
		contentMediaTypeChanged(),
		formatChanged(),
		discriminatorChanged(),
		// Schemas, requests.
		requestPropertyRequiredAdded(),
		requestPropertyBecameRequired(),
		requestPropertyRemoved(),
		requestNullableRemoved(),
		requestEnumNarrowed(),
		requestExtensibleEnumNarrowed(),
		requestRangeNarrowed(),
		requestLengthNarrowed(),
		requestCountNarrowed(),
		requestPatternChanged(),
		requestAdditionalPropertiesClosed(),
		requestVariantRemoved(),
		requestOneOfAmbiguous(),
		requestContainsNarrowed(),
		requestDependentRequiredAdded(),
		requestDependentSchemaAdded(),
		requestConditionalRequiredAdded(),
		requestValuesExcluded(),
		requestDefaultChanged(),
		// Schemas, responses.
		responsePropertyRemoved(),
		responsePropertyBecameOptional(),
		responseBecameNullable(),
		responseEnumWidened(),
		responseVariantAdded(),
		responseConstraintLoosened(),
		responseContainsLoosened(),
		responseDependentRequiredRemoved(),
		responseDependentSchemaRemoved(),
		responseConditionalRequiredRemoved(),
		responseExclusionRemoved(),
		// sdk profile.
		operationIDChanged(),
		parameterTypeWidened(),
		schemaRenamed(),
	}
}

// Get returns the rule with the given ID, breaking or change rule.
func Get(id string) (Rule, bool) {
	for _, r := range append(All(), Changes()...) {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}
