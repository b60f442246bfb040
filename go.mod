module github.com/spca/spca

go 1.26.8

require (
	github.com/klauspost/compress v1.20.5
	gonum.org/v1/gonum v0.17.0
	gonum.org/v1/netlib v0.0.0-20190313105609-8cb42192e0e0
)

require golang.org/x/exp v0.0.0-20261120182113-8801fbdfac81 // indirect
