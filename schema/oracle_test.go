package schema

import (
	"bytes"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// The reference implementation: santhosh-tekuri/jsonschema compiles the same embedded schema, and its errors
// are worded the way Validate words them. The interpreter must agree with it (see validate_test.go).

var oracle = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(JSON))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("netbox-sso.schema.json", doc); err != nil {
		return nil, err
	}
	return c.Compile("netbox-sso.schema.json")
})

func oracleValidate(doc any) ([]Violation, error) {
	sch, err := oracle()
	if err != nil {
		return nil, err
	}
	err = sch.Validate(doc)
	if err == nil {
		return nil, nil
	}
	verr, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return nil, err
	}
	var out []Violation
	collect(verr, &out)
	sortViolations(out)
	return dedupe(out), nil
}

var printer = message.NewPrinter(language.English)

// collect walks to the leaves of the error tree: the inner nodes only say "one of the subschemas failed".
func collect(e *jsonschema.ValidationError, out *[]Violation) {
	if len(e.Causes) > 0 {
		for _, c := range e.Causes {
			collect(c, out)
		}
		return
	}
	at := FieldPath(e.InstanceLocation)
	switch k := e.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		for _, p := range k.Properties {
			*out = append(*out, Violation{FieldPath(append(e.InstanceLocation, p)), msgUnknownField})
		}
	case *kind.Required:
		for _, p := range k.Missing {
			*out = append(*out, Violation{FieldPath(append(e.InstanceLocation, p)), msgRequired})
		}
	case *kind.Const:
		*out = append(*out, Violation{at, constMessage(k.Want)})
	case *kind.Enum:
		*out = append(*out, Violation{at, enumMessage(k.Want)})
	case *kind.MinLength:
		*out = append(*out, Violation{at, minLengthMessage(k.Want)})
	case *kind.Minimum:
		want, _ := k.Want.Float64()
		*out = append(*out, Violation{at, minimumMessage(want)})
	case *kind.Maximum:
		want, _ := k.Want.Float64()
		*out = append(*out, Violation{at, maximumMessage(want)})
	case *kind.MaxLength:
		*out = append(*out, Violation{at, maxLengthMessage(k.Want)})
	case *kind.MinItems:
		*out = append(*out, Violation{at, minItemsMessage(k.Want)})
	case *kind.Type:
		*out = append(*out, Violation{at, typeMessage(k.Want, k.Got)})
	case *kind.Pattern:
		*out = append(*out, Violation{at, patternMessage(k.Want)})
	default:
		*out = append(*out, Violation{at, "(no interpreter wording) " + e.ErrorKind.LocalizedString(printer)})
	}
}
