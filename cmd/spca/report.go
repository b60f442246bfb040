package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spca/spca/chunk"
	"github.com/spca/spca/stream"
)

type fitJSON struct {
	Input                  string    `json:"input"`
	NSamples               int64     `json:"n_samples"`
	NFeatures              int       `json:"n_features"`
	NComponents            int       `json:"n_components"`
	ExplainedVariance      []float64 `json:"explained_variance"`
	ExplainedVarianceRatio []float64 `json:"explained_variance_ratio"`
	SingularValues         []float64 `json:"singular_values"`
	NoiseVariance          float64   `json:"noise_variance"`
	TotalVariance          float64   `json:"total_variance"`
	Method                 string    `json:"method"`
	MethodReason           string    `json:"method_reason,omitempty"`
	Passes                 int       `json:"passes"`
	Residuals              []float64 `json:"residuals"`
	Scaled                 bool      `json:"scaled"`
	ZeroVarianceColumns    []int     `json:"zero_variance_columns,omitempty"`
	Residual               float64   `json:"residual"`
	Orthogonality          float64   `json:"orthogonality"`
	Threads                int       `json:"threads"`
	Seconds                float64   `json:"seconds"`
	Model                  string    `json:"model,omitempty"`
	Scores                 string    `json:"scores,omitempty"`
}

func writeFitJSON(w io.Writer, m *stream.Model, info chunk.Info, threads int, model, scores string) error {
	enc := json.NewEncoder(w)
	return enc.Encode(fitJSON{
		Input: inputName(info), NSamples: m.NSamples, NFeatures: m.NFeatures, NComponents: m.NComponents,
		ExplainedVariance: m.ExplainedVariance, ExplainedVarianceRatio: m.ExplainedVarianceRatio,
		SingularValues: m.SingularValues, NoiseVariance: m.NoiseVariance, TotalVariance: m.TotalVariance,
		Method: m.Method, MethodReason: m.MethodReason, Passes: m.Passes, Residuals: m.Residuals, Scaled: m.Scale != nil, ZeroVarianceColumns: m.ZeroVarianceColumns,
		Residual: m.Residual, Orthogonality: m.Orthogonality, Threads: threads,
		Seconds: m.Seconds, Model: model, Scores: scores,
	})
}

func inputName(info chunk.Info) string {
	if info.Dataset != "" {
		return info.Name + ":" + info.Dataset
	}
	return info.Name
}

// writeFitTable prints the human summary: the explained-variance table with
// cumulative ratios, then the certificate and the files written.
func writeFitTable(w io.Writer, m *stream.Model, info chunk.Info, model, scores string) {
	kind := "covariance"
	if m.Scale != nil {
		kind = "correlation"
	}
	fmt.Fprintf(w, "spca fit: %s  (%s, %s)\n", inputName(info), info.Format+compressionSuffix(info), info.DType)
	passes := "passes"
	if m.Passes == 1 {
		passes = "pass"
	}
	fmt.Fprintf(w, "n = %d samples, p = %d features, k = %d components, method %s (%s PCA), %d %s, %.3g s\n",
		m.NSamples, m.NFeatures, m.NComponents, m.Method, kind, m.Passes, passes, m.Seconds)
	if m.MethodReason != "" {
		fmt.Fprintf(w, "method auto chose %s: %s\n", m.Method, m.MethodReason)
	}
	fmt.Fprintf(w, "\n%5s  %14s  %8s  %10s  %14s  %9s\n", "PC", "variance", "ratio", "cumulative", "singular value", "residual")
	cum := 0.0
	for i := 0; i < m.NComponents; i++ {
		cum += m.ExplainedVarianceRatio[i]
		res := 0.0
		if i < len(m.Residuals) {
			res = m.Residuals[i]
		}
		fmt.Fprintf(w, "%5d  %14.6g  %7.2f%%  %9.2f%%  %14.6g  %9.2g\n", i+1, m.ExplainedVariance[i],
			100*m.ExplainedVarianceRatio[i], 100*cum, m.SingularValues[i], res)
	}
	fmt.Fprintf(w, "\ntotal variance %.6g; noise variance %.6g\n", m.TotalVariance, m.NoiseVariance)
	if len(m.ZeroVarianceColumns) > 0 {
		fmt.Fprintf(w, "zero-variance columns left unscaled: %v\n", m.ZeroVarianceColumns)
	}
	fmt.Fprintf(w, "certificate: ‖CV − VΛ‖/‖C‖ = %.2g, ‖VᵀV − I‖ = %.2g; residual = ‖Cv − λv‖/λ per component\n", m.Residual, m.Orthogonality)
	if model != "" {
		fmt.Fprintf(w, "wrote model %s\n", model)
	}
	if scores != "" {
		fmt.Fprintf(w, "wrote scores %s (%d x %d)\n", scores, m.NSamples, m.NComponents)
	}
}

func compressionSuffix(info chunk.Info) string {
	if info.Compression == "" {
		return ""
	}
	return "+" + info.Compression
}

type transformJSON struct {
	NSamples    int64    `json:"n_samples"`
	NFeatures   int      `json:"n_features"`
	NComponents int      `json:"n_components"`
	Method      string   `json:"method"`
	MAE         *float64 `json:"mae,omitempty"`
	RMSE        *float64 `json:"rmse,omitempty"`
	Seconds     float64  `json:"seconds"`
	Scores      string   `json:"scores,omitempty"`
}

func writeTransformJSON(w io.Writer, m *stream.Model, res stream.TransformResult, withErr bool, secs float64, scores string) error {
	out := transformJSON{NSamples: res.Rows, NFeatures: m.NFeatures, NComponents: m.NComponents,
		Method: m.Method, Seconds: secs, Scores: scores}
	if withErr {
		mae, rmse := res.MAE, res.RMSE
		out.MAE, out.RMSE = &mae, &rmse
	}
	return json.NewEncoder(w).Encode(out)
}
