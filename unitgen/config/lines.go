package config

import (
	"bytes"
	"sort"
)

// lineIndex turns byte offsets of a file into 1-based line numbers.
type lineIndex []int // offsets of the '\n' bytes

func newLineIndex(data []byte) lineIndex {
	idx := make(lineIndex, 0, bytes.Count(data, []byte{'\n'}))
	for off := 0; ; {
		i := bytes.IndexByte(data[off:], '\n')
		if i < 0 {
			return idx
		}
		idx = append(idx, off+i)
		off += i + 1
	}
}

// line is the line the byte at offset is on.
func (idx lineIndex) line(offset int) int {
	return sort.SearchInts(idx, offset) + 1
}
