# spca — make demo (set up, generate a data set, fit) and make test.
GO      ?= $(shell command -v go || echo /usr/local/go/bin/go)
PYTHON  ?= /usr/bin/python3
BIN     := bin
DEMO    := demo
export PATH := $(dir $(GO)):$(PATH)

.PHONY: all deps build demo test test-purego fixtures bench bench-quick clean cluster-test

all: build

deps:
	@scripts/deps.sh

build: deps
	$(GO) build -o $(BIN)/spca ./cmd/spca
	$(GO) build -o $(BIN)/spca-bench ./bench

# 60 000 synthetic 28x28 grayscale images as a chunked, gzip-compressed HDF5
# file, then a 20-component fit with scores and the explained-variance table,
# and its scree plot, eigen-images and PC1/PC2 scatter in demo/*.png.
demo: build
	@mkdir -p $(DEMO)
	@[ -f $(DEMO)/images.h5 ] || $(BIN)/spca-bench gen images --rows 60000 --out $(DEMO)/images.h5
	$(BIN)/spca info $(DEMO)/images.h5
	$(BIN)/spca fit $(DEMO)/images.h5 -k 20 --model $(DEMO)/model.h5 --scores $(DEMO)/scores.npy
	$(BIN)/spca plot $(DEMO)/model.h5 --scree $(DEMO)/scree.png --components $(DEMO)/components.png --image-shape 28,28
	$(BIN)/spca plot --scores $(DEMO)/scores.npy --scatter $(DEMO)/pc12.png

test: deps
	@fmt=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$fmt" ]; then echo "gofmt needed: $$fmt"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags noopenblas ./...
	$(GO) test -race -count=1 ./...
	$(GO) test -count=1 -run 'TestMethodsFullSize' ./stream/
	$(GO) test -count=1 -tags noopenblas ./...

# The side-by-side benchmark against NumPy, scikit-learn and gonum (bench/):
# full sizes, 24 minutes on 2 cores; writes bench/results/latest.{json,md,png}
# and BENCHMARKS.md. Data sets are cached in bench/results/cache/ (gitignored).
BENCHFLAGS ?=
bench: build
	$(BIN)/spca-bench run --spca $(BIN)/spca --python $(PYTHON) --benchmarks-md BENCHMARKS.md $(BENCHFLAGS)

# Small sizes, under a minute: bench/results/quick.{json,md,png} (not committed).
bench-quick: build
	$(BIN)/spca-bench run --quick --spca $(BIN)/spca --python $(PYTHON) $(BENCHFLAGS)

# Regenerates the NumPy / h5py / scikit-learn fixtures in testdata/.
fixtures: deps
	$(PYTHON) testdata/gen_npy.py
	$(PYTHON) testdata/gen_hdf5.py
	$(PYTHON) testdata/gen_pca.py
	$(PYTHON) testdata/gen_ica.py

clean:
	rm -rf $(BIN) $(DEMO)

# A real Slurm run on this machine (root): munged, slurmctld and slurmd on
# localhost, the examples/slurm job array + dependent merge compared with a
# single-machine fit, and a checkpointed fit stopped by USR1, requeued, resumed.
cluster-test:
	scripts/cluster-test.sh
