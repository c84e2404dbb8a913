package report

import "strings"

// md returns text escaped for Markdown (CommonMark and GitHub's dialect)
// so that it shows as written: a backslash before each character that can
// start emphasis, a code span, a link or image ([ and ]: without them, (
// and ! are plain), raw HTML or an autolink, an entity reference, a
// heading's closing sequence or strikethrough, and a space for each line
// break (which could start a new block). Every value that comes
// from a spec or a result (axis names and labels, error messages) goes
// through it; writeRow escapes | in table cells.
func md(text string) string {
	var b strings.Builder
	for _, r := range text {
		switch r {
		case '\\', '`', '*', '_', '[', ']', '<', '>', '&', '#', '~':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n', '\r':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdAll applies md to every element of texts.
func mdAll(texts []string) []string {
	out := make([]string, len(texts))
	for i, t := range texts {
		out[i] = md(t)
	}
	return out
}
