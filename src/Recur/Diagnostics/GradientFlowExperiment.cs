using Recur.Cells;
using Recur.Layers;
using Recur.Tensors;
using Recur.Training;

namespace Recur.Diagnostics;

/// <summary>One curve of <c>recur gradients</c>: a cell, its initialisation, and optionally a spectral radius for W_hh.</summary>
/// <param name="Scale">Spectral radius W_hh is rescaled to (null: as initialised).</param>
/// <param name="ForgetBias">LSTM forget-gate bias (ignored by chrono and other cells).</param>
public sealed record GradientFlowSetting(CellType Cell, InitScheme Init, double? Scale, float ForgetBias = 1f)
{
    public string Label
    {
        get
        {
            string s = Cell.CliName();
            if (Scale is { } r) s += $" ρ={r:0.##}";
            if (Init == InitScheme.Chrono) s += " chrono";
            else if (Cell.IsLstm()) s += $" b_f={ForgetBias:0.##}";
            if (Init is not (InitScheme.Orthogonal or InitScheme.Chrono)) s += $" {Init.Name()}";
            return s;
        }
    }
}

/// <summary>The shared conditions of a gradient-flow comparison.</summary>
/// <param name="InputScale">Standard deviation of the Gaussian inputs x_t ~ N(0, σ²).</param>
/// <param name="FitSteps">The slope is fitted over distances 0..FitSteps (0: the whole curve 0..T).</param>
public sealed record GradientFlowConditions(int Hidden = 128, int Length = 100, int InputSize = 8, int Batch = 32,
    double InputScale = 1.0, int FitSteps = 0, ulong Seed = 1)
{
    public void Validate()
    {
        if (Hidden < 1 || Length < 2 || InputSize < 1 || Batch < 1) throw new ArgumentException("hidden, input size and batch must be ≥ 1 and length ≥ 2");
        if (!(InputScale >= 0) || !double.IsFinite(InputScale)) throw new ArgumentException($"input scale must be ≥ 0, got {InputScale}");
        if (FitSteps < 0 || FitSteps == 1 || FitSteps > Length) throw new ArgumentException($"fit steps must be 0 (all) or in [2, {Length}], got {FitSteps}");
    }
}

/// <summary>One measured curve with the spectrum of the network it came from.</summary>
public sealed record GradientFlowCurve(GradientFlowSetting Setting, GradientFlowResult Flow, IReadOnlyList<MatrixSpectrum> Spectrum);

/// <summary>
/// Builds an untrained one-layer network per setting (same seed, same inputs, same probe), rescales W_hh when asked,
/// and measures its gradient flow: the comparison of the lecture (vanishing, exploding, holding) in one call.
/// </summary>
public static class GradientFlowExperiment
{
    public static List<GradientFlowCurve> Run(IEnumerable<GradientFlowSetting> settings, GradientFlowConditions c)
    {
        c.Validate();
        var data = new Rng(c.Seed ^ 0xA5A5UL);
        var x = new Tensor(c.Length, c.Batch, c.InputSize);   // [T, B, I]
        var xs = x.Span;
        for (int i = 0; i < xs.Length; i++) xs[i] = (float)(data.NextGaussian() * c.InputScale);
        var probe = GradientFlow.GaussianProbe(c.Batch, c.Hidden, data);
        var curves = new List<GradientFlowCurve>();
        foreach (var s in settings)
        {
            var rnn = new Recurrent(new RecurrentOptions(s.Cell, c.InputSize, c.Hidden));
            Initializers.Initialize(rnn, s.Init, new Rng(c.Seed), s.ForgetBias, chronoMaxT: Math.Max(3, c.Length));
            if (s.Scale is { } r) RecurrentSpectrum.RescaleRecurrent(rnn, r);
            var flow = GradientFlow.Measure(rnn, x, probe: probe, fitFrom: 0, fitTo: c.FitSteps > 0 ? c.FitSteps : c.Length);
            curves.Add(new GradientFlowCurve(s, flow, RecurrentSpectrum.Analyze(rnn)));
        }
        return curves;
    }
}
