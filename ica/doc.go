// Package ica owns FastICA on the streaming engine: independent component
// analysis of a data matrix too large for memory.
//
// The model is X = S·Aᵀ + mean, with S (n × k) independent, non-Gaussian
// sources and A (p × k) the mixing matrix; ICA estimates the unmixing
// matrix W_full = components (k × p) so that S = (X − mean)·componentsᵀ.
//
// The steps, each a pass over the data through stream's ordered pipeline
// (stream.Pass), so results are bit-identical for any number of threads:
//
//  1. Whitening from the streaming PCA (stream.Accumulate + stream.Solve):
//     with λᵢ, vᵢ the top-k eigenpairs of the (n−1)-denominator covariance,
//     whitening = K, Kᵢ = ±vᵢᵀ/dᵢ with dᵢ = sqrt(λᵢ·(n−1)) the singular
//     values of the centred X (scikit-learn's whitening_); the sign makes
//     each row's first entry non-negative, scikit-learn's u *= sign(u[0]).
//     The whitened data Z = (X − mean)·Kᵀ·sqrt(n) has identity covariance
//     with the 1/n denominator.
//  2. FastICA's fixed-point iteration (Hyvärinen & Oja 2000) on Z, one pass
//     per iteration: parallel, W ← sym(E[g(WZ)·Zᵀ] − diag(E[g′(WZ)])·W) with
//     sym(W) = (W·Wᵀ)^(−1/2)·W; or deflation, one component at a time with
//     Gram–Schmidt against those found before. Convergence: the largest
//     |(|⟨w_new, w_old⟩| − 1)| below tol, exactly scikit-learn's test.
//     Each pass reads either the input (whitening each block on the fly) or
//     an in-memory copy of Z when n·k·8 bytes fit the memory budget.
//  3. A statistics pass over the sources of the final W: standard
//     deviation (1/n denominator), skewness and negentropy. Sources are
//     scaled to unit variance (scikit-learn's whiten="unit-variance"),
//     signed so that their skewness is positive, and ordered by decreasing
//     negentropy J = (E[G(y)] − E[G(ν)])², ν standard normal, G the
//     contrast function's antiderivative.
//
// The contrast functions g are scikit-learn's: logcosh (g = tanh),
// exp (g = u·exp(−u²/2)) and cube (g = u³), with alpha = 1.
package ica
