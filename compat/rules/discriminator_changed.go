package rules

import "sort"

func discriminatorChanged() Rule {
	return Rule{
		ID:        "discriminator-changed",
		Category:  CatComposition,
		Severity:  Error,
		Profile:   Wire,
		Direction: Both,
		Summary:   "A discriminator's property changed, or its mapping lost (requests) or gained (responses) a value, or sends a value to another schema.",
		Impact: "The mapping value `card` now selects CardV2: clients sending card payloads shaped for Card are " +
			"validated against the wrong schema, and decoders reading responses pick the wrong type.",
		Mitigation: "Keep discriminator values and their schemas stable; add a new value for a new shape.",
		Schema: func(d *SchemaDiff, r Reporter) {
			if d.Partial {
				return
			}
			bd, hd := d.Base.Discriminator(), d.Head.Discriminator()
			if bd == nil || hd == nil {
				return
			}
			if bd.PropertyName != hd.PropertyName {
				r.Report(Hit{At: []string{"discriminator", "propertyName"}, Before: bd.PropertyName, After: hd.PropertyName,
					Message: "discriminator property changed from " + bd.PropertyName + " to " + hd.PropertyName})
				return
			}
			values := map[string]bool{}
			for k := range bd.Mapping {
				values[k] = true
			}
			for k := range hd.Mapping {
				values[k] = true
			}
			sorted := make([]string, 0, len(values))
			for k := range values {
				sorted = append(sorted, k)
			}
			sort.Strings(sorted)
			for _, k := range sorted {
				bm, bok := bd.Mapping[k]
				hm, hok := hd.Mapping[k]
				at := []string{"discriminator", "mapping", k}
				switch {
				case bok && hok && RefName(bm.Ref) != RefName(hm.Ref):
					r.Report(Hit{At: at, Before: k + " -> " + RefName(bm.Ref), After: k + " -> " + RefName(hm.Ref),
						Message: "discriminator value " + k + " now selects " + RefName(hm.Ref) + " instead of " + RefName(bm.Ref)})
				case bok && !hok && d.Dir == Request && len(hd.Mapping) > 0:
					r.Report(Hit{At: at, Side: Base, Before: k,
						Message: "discriminator value " + k + " is no longer accepted"})
				case !bok && hok && d.Dir == Response && len(bd.Mapping) > 0:
					r.Report(Hit{At: at, After: k,
						Message: "discriminator value " + k + " may now be returned"})
				}
			}
		},
	}
}
