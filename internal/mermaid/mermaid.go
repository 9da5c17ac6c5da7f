// Package mermaid writes text safely into Mermaid diagrams.
package mermaid

import (
	"strconv"
	"strings"
)

// Label returns s as a double-quoted Mermaid label, with the characters Mermaid
// would interpret written as entity codes and control characters as spaces.
func Label(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString("#quot;")
		case '#', '<', '>', '&', '|', '`', '[', ']', '{', '}', '(', ')', ';':
			b.WriteString("#" + strconv.Itoa(int(r)) + ";")
		default:
			if r < 0x20 || r == 0x7f {
				b.WriteByte(' ')
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}
