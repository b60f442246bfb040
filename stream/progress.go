package stream

// Progress reports how far a pass over the data has come. It is passed to
// Options.Progress from the reader goroutine after every block and once
// more, with Done set, when the pass has read its last row; the callback
// must be quick (it holds up reading) and must not block.
type Progress struct {
	Pass      string // "gram" (the fit), "transform" (scores) or "inverse" (reconstruction)
	Rows      int64  // rows read so far in this pass
	TotalRows int64  // rows in the input, or -1 when unknown (standard input)
	Bytes     int64  // input bytes read so far, at the on-disk element size (before decompression)
	Done      bool   // the pass has read every row
}

// progressFunc adapts Options.Progress to the pipeline's rows callback for
// one pass; nil when no one listens.
func progressFunc(opt Options, pass string, totalRows int64, rowBytes int64) func(rows int64, done bool) {
	if opt.Progress == nil {
		return nil
	}
	return func(rows int64, done bool) {
		opt.Progress(Progress{Pass: pass, Rows: rows, TotalRows: totalRows, Bytes: rows * rowBytes, Done: done})
	}
}
