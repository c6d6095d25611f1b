package rules

// Change rules describe changes that break nobody: additions and
// deprecations. compat runs them only when asked (compat.Options.Changes),
// for the partner-facing change log; `accord compat` never does, so its
// findings, rule listings and exit codes are those of the breaking rules in
// All alone.

// Categories of change rules.
const (
	CatAddition    = "addition"    // something new clients may use
	CatDeprecation = "deprecation" // something clients should stop using, with its sunset
)

// Changes returns every change rule, in a fresh slice. Adding one means
// adding its file and one line here; the tests then demand its fields and a
// case under testdata/changelog.
func Changes() []Rule {
	return []Rule{
		operationAdded(),
		operationDeprecated(),
		channelAdded(),
		messageAdded(),
		parameterAdded(),
		parameterDeprecated(),
		propertyAdded(),
		propertyDeprecated(),
		requestEnumWidened(),
		responseStatusAdded(),
		mediaTypeAdded(),
	}
}
