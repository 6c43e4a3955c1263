package roster

import "unsafe"

// BatchOver is a FrameBatch over the n bytes at p (memory the caller keeps
// alive), as TakeFrames makes one over the library's block: for the tests
// of malformed blocks.
func BatchOver(p unsafe.Pointer, n uintptr) *FrameBatch {
	b := &FrameBatch{}
	b.reset(p, n)
	return b
}
