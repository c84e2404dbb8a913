package sweeps

import (
	"bytes"
	"fmt"
)

// Limits on a spec's text, checked before it is parsed.
const (
	// MaxSpecSize is the largest spec, in bytes.
	MaxSpecSize = 1 << 20

	// MaxDepth bounds how deeply a spec's collections nest (block
	// mappings and sequences, compact "- - x" entries, flow [ ] and { }).
	// A spec needs about 6: the top mapping, axes, an axis's list, a
	// bundle, a list value such as layers.
	MaxDepth = 32
)

// checkLimits refuses a spec larger than MaxSpecSize or nested deeper
// than MaxDepth before it reaches the YAML parser, whose time and memory
// grow with the square of the nesting depth (an 80 KB flow sequence 40,000
// levels deep took 2.5 GB). It returns an *Error wrapping ErrTooLarge that
// names the line where the limit was passed.
//
// The depth is estimated from the text in one pass with constant memory:
// the open flow collections, plus the block depth of the line, which is
// the depth of the nearest less-indented line plus one plus the line's
// leading "- ", "? " and ": " indicators. The estimate is never below the
// depth the parser builds (a line's node is at most one level below the
// deepest node of the less-indented line it belongs to, plus one per
// indicator), and may exceed it by a few levels. Quoted scalars, comments
// and block scalars (| and >) are skipped; a quote, [ or { opens a scalar
// or collection only where a token starts, as in YAML.
func checkLimits(file string, data []byte) error {
	if len(data) > MaxSpecSize {
		return &Error{File: file, Kind: ErrTooLarge,
			Msg: fmt.Sprintf("the spec is %d bytes; the limit is %d (1 MiB)", len(data), MaxSpecSize)}
	}
	d := depthScanner{}
	for line := 1; len(data) > 0; line++ {
		text := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			text, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if depth := d.line(text); depth > MaxDepth {
			return &Error{File: file, Line: line, Kind: ErrTooLarge,
				Msg: fmt.Sprintf("collections nested more than %d levels deep (the limit)", MaxDepth)}
		}
	}
	return nil
}

// depthScanner is checkLimits' state between lines.
type depthScanner struct {
	// levels are the open block lines: their indentation and block depth,
	// indentation increasing. It never holds more than MaxDepth+1 entries:
	// the scan stops at the first line deeper than MaxDepth.
	levels []level
	flow   int  // open flow collections ([ and {)
	base   int  // block depth of the last block line, where open flows and quotes began
	quote  byte // the open quoted scalar's quote (' or "), or 0
	// scalar is set inside a block scalar (| or >): its lines are those
	// indented more than scalarIndent, and blank ones.
	scalar       bool
	scalarIndent int
}

type level struct{ indent, depth int }

// line scans one line and returns the deepest nesting it reached (or
// MaxDepth+1 as soon as it passes MaxDepth).
func (d *depthScanner) line(text []byte) int {
	text = bytes.TrimSuffix(text, []byte{'\r'})
	indent := 0
	for indent < len(text) && text[indent] == ' ' {
		indent++
	}
	blank := indent == len(text) || isBlankRest(text[indent:])
	if d.scalar {
		if blank || indent > d.scalarIndent {
			return 0
		}
		d.scalar = false
	}
	i, depth := 0, d.base
	if d.quote == 0 && d.flow == 0 {
		if blank || text[indent] == '#' {
			return 0
		}
		// A block line: its parent is the nearest less-indented line.
		for len(d.levels) > 0 && d.levels[len(d.levels)-1].indent >= indent {
			d.levels = d.levels[:len(d.levels)-1]
		}
		depth = 1
		if len(d.levels) > 0 {
			depth += d.levels[len(d.levels)-1].depth
		}
		// Compact nesting: "- - x", "? x", ": x" each open a level.
		for i = indent; i < len(text) && (text[i] == '-' || text[i] == '?' || text[i] == ':') && (i+1 == len(text) || isSpace(text[i+1])); {
			depth++
			for i++; i < len(text) && isSpace(text[i]); i++ {
			}
		}
		if depth > MaxDepth {
			return depth
		}
		d.levels = append(d.levels, level{indent, depth})
		d.base = depth
	}
	deepest := depth + d.flow
	for ; i < len(text); i++ {
		c := text[i]
		if d.quote != 0 {
			switch {
			case d.quote == '"' && c == '\\':
				i++ // an escaped character
			case c == d.quote && d.quote == '\'' && i+1 < len(text) && text[i+1] == '\'':
				i++ // '' inside a single-quoted scalar
			case c == d.quote:
				d.quote = 0
			}
			continue
		}
		start := tokenStart(text, i, d.flow > 0)
		switch {
		case c == '#' && (i == 0 || isSpace(text[i-1])):
			return deepest // a comment ends the line
		case (c == '"' || c == '\'') && start:
			d.quote = c
		case (c == '[' || c == '{') && (start || d.flow > 0):
			d.flow++
			if deepest = max(deepest, depth+d.flow); deepest > MaxDepth {
				return deepest
			}
		case (c == ']' || c == '}') && d.flow > 0:
			d.flow--
		case (c == '|' || c == '>') && d.flow == 0 && start && blockScalarHeader(text[i+1:]):
			d.scalar, d.scalarIndent = true, indent
			return deepest // the header's indicators and comment
		}
	}
	return deepest
}

// tokenStart reports whether text[i] begins a token: at the line's start,
// after whitespace that follows a line start or an indicator (- ? : in
// block context; also [ { , in flow context), or right after a flow
// indicator in flow context.
func tokenStart(text []byte, i int, flow bool) bool {
	j := i - 1
	for j >= 0 && isSpace(text[j]) {
		j--
	}
	if j < 0 {
		return true
	}
	switch text[j] {
	case '[', '{', ',':
		return flow
	case '-', '?', ':':
		return j < i-1 // followed by whitespace: an indicator, not "a-b"
	}
	return false
}

// blockScalarHeader reports whether rest, the text after a | or >, is the
// rest of a valid block scalar header: at most one indentation digit
// (1-9) and one chomping indicator (+ or -) in either order, then blanks
// and perhaps a comment. The parser treats the lines after an invalid one
// as YAML, so they must be scanned as such.
func blockScalarHeader(rest []byte) bool {
	digit, chomp := false, false
	i := 0
	for ; i < len(rest); i++ {
		if c := rest[i]; c >= '1' && c <= '9' && !digit {
			digit = true
		} else if (c == '+' || c == '-') && !chomp {
			chomp = true
		} else {
			break
		}
	}
	rest = rest[i:]
	after := bytes.TrimLeft(rest, " \t")
	if len(rest) > 0 && len(after) == len(rest) {
		return false // no blank after the indicators
	}
	return len(after) == 0 || after[0] == '#'
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

// isBlankRest reports whether text holds only spaces and tabs.
func isBlankRest(text []byte) bool {
	for _, c := range text {
		if !isSpace(c) {
			return false
		}
	}
	return true
}
