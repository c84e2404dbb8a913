package sweeps

import (
	"fmt"
	"math"
	"regexp"
	"strconv"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// nodeKind classifies a YAML node as the spec format sees it.
type nodeKind int

const (
	kindInvalid nodeKind = iota // a YAML feature the format rejects
	kindNull
	kindBool
	kindInt
	kindFloat
	kindString
	kindList
	kindMapping
)

// String returns the kind's name as used in messages.
func (k nodeKind) String() string {
	switch k {
	case kindNull:
		return "null"
	case kindBool:
		return "bool"
	case kindInt:
		return "integer"
	case kindFloat:
		return "number"
	case kindString:
		return "string"
	case kindList:
		return "list"
	case kindMapping:
		return "mapping"
	}
	return "unsupported YAML"
}

// isScalar reports whether k is a scalar kind other than null.
func (k nodeKind) isScalar() bool {
	return k == kindBool || k == kindInt || k == kindFloat || k == kindString
}

// isNumber reports whether k is a numeric kind.
func (k nodeKind) isNumber() bool {
	return k == kindInt || k == kindFloat
}

// nodeErr is a located-later problem with a node: the decoder adds the
// file, line and path.
type nodeErr struct {
	kind error
	msg  string
}

// classify returns the kind of n and, for scalars, its value: int64,
// float64, string, bool or nil.
//
// Plain (unquoted) scalars are resolved with the YAML 1.2 core schema, by
// their text: null, ~ and the empty scalar are null; true and false (also
// capitalised or upper case) are bools; [-+]?[0-9]+, 0o17 and 0x1F are
// integers; [-+]?(.[0-9]+|[0-9]+(.[0-9]*)?)([eE][-+]?[0-9]+)? are numbers
// (so 1e-3 is a number, unlike in go-yaml's own resolution); everything
// else, including YAML 1.1 forms such as yes, on and 1_000, is a string.
// Quoted and block scalars are always strings. Non-finite numbers (.inf,
// .nan) and integers outside int64 are rejected.
func classify(n ast.Node) (nodeKind, any, *nodeErr) {
	switch n := n.(type) {
	case nil:
		return kindNull, nil, nil
	case *ast.MappingNode, *ast.MappingValueNode:
		return kindMapping, nil, nil
	case *ast.SequenceNode:
		return kindList, nil, nil
	case *ast.LiteralNode:
		if n.Value == nil {
			return kindString, "", nil
		}
		return kindString, n.Value.Value, nil
	case *ast.StringNode:
		if tk := n.GetToken(); tk != nil && (tk.Type == token.SingleQuoteType || tk.Type == token.DoubleQuoteType) {
			return kindString, n.Value, nil
		}
		return resolvePlain(n.Value)
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.NullNode, *ast.InfinityNode, *ast.NanNode:
		tk := n.GetToken()
		if tk == nil {
			return kindNull, nil, nil
		}
		return resolvePlain(tk.Value)
	case *ast.AnchorNode:
		return kindInvalid, nil, &nodeErr{ErrSyntax, "anchors (&name) are not supported"}
	case *ast.AliasNode:
		return kindInvalid, nil, &nodeErr{ErrSyntax, "aliases (*name) are not supported"}
	case *ast.TagNode:
		return kindInvalid, nil, &nodeErr{ErrSyntax, "tags (!tag) are not supported"}
	case *ast.MergeKeyNode:
		return kindInvalid, nil, &nodeErr{ErrSyntax, "merge keys (<<) are not supported"}
	default:
		return kindInvalid, nil, &nodeErr{ErrSyntax, fmt.Sprintf("unsupported YAML %s", n.Type())}
	}
}

// YAML 1.2 core schema patterns for plain scalars.
var (
	coreNull  = regexp.MustCompile(`^(|~|null|Null|NULL)$`)
	coreTrue  = regexp.MustCompile(`^(true|True|TRUE)$`)
	coreFalse = regexp.MustCompile(`^(false|False|FALSE)$`)
	coreInt   = regexp.MustCompile(`^[-+]?[0-9]+$`)
	coreOct   = regexp.MustCompile(`^0o[0-7]+$`)
	coreHex   = regexp.MustCompile(`^0x[0-9a-fA-F]+$`)
	coreFloat = regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)
	coreInf   = regexp.MustCompile(`^([-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$`)
)

// resolvePlain resolves the text of a plain scalar (see classify).
func resolvePlain(s string) (nodeKind, any, *nodeErr) {
	switch {
	case coreNull.MatchString(s):
		return kindNull, nil, nil
	case coreTrue.MatchString(s):
		return kindBool, true, nil
	case coreFalse.MatchString(s):
		return kindBool, false, nil
	case coreInt.MatchString(s):
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return kindInt, nil, &nodeErr{ErrValue, fmt.Sprintf("integer %s out of range", s)}
		}
		return kindInt, n, nil
	case coreOct.MatchString(s), coreHex.MatchString(s):
		base := 8
		if s[1] == 'x' {
			base = 16
		}
		n, err := strconv.ParseInt(s[2:], base, 64)
		if err != nil {
			return kindInt, nil, &nodeErr{ErrValue, fmt.Sprintf("integer %s out of range", s)}
		}
		return kindInt, n, nil
	case coreFloat.MatchString(s):
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) {
			return kindFloat, nil, &nodeErr{ErrValue, fmt.Sprintf("number %s out of range", s)}
		}
		if f == 0 {
			f = 0 // no -0
		}
		return kindFloat, f, nil
	case coreInf.MatchString(s):
		return kindFloat, nil, &nodeErr{ErrValue, fmt.Sprintf("want a finite number, got %s", s)}
	}
	return kindString, s, nil
}

// describe names a node's kind and, for scalars, its value, for "got ..."
// in messages: `mapping`, `list`, `null`, `string "abc"`, `number 1.5`.
func describe(k nodeKind, v any) string {
	if k.isScalar() {
		return k.String() + " " + canonicalString(v)
	}
	return k.String()
}

// line returns the 1-based line of n, or 0.
func line(n ast.Node) int {
	if n == nil {
		return 0
	}
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		return tk.Position.Line
	}
	return 0
}

// keyText returns the text of a mapping key, or false for keys the format
// does not accept (complex keys, merge keys, aliases, non-scalars).
func keyText(k ast.MapKeyNode) (string, bool) {
	switch k := k.(type) {
	case *ast.StringNode:
		return k.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.NullNode, *ast.InfinityNode, *ast.NanNode:
		if tk := k.GetToken(); tk != nil {
			return tk.Value, true
		}
	}
	return "", false
}

// joinPath appends a key to a dotted path.
func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// indexPath appends a list index to a path.
func indexPath(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}
