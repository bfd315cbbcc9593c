using Recur.Layers;
using Recur.Tensors;
using Recur.Training;

namespace Recur.Diagnostics;

/// <summary>Gradient flow at one point of training: the curve, its slope, and the spectrum of W_hh.</summary>
/// <param name="Log10GradH">[T + 1] log10 ‖∂ε_T/∂h_{T−d}‖ by distance d.</param>
/// <param name="MaxSpectralRadius">The largest spectral radius among the (square) recurrent blocks.</param>
/// <param name="MaxSingularValue">The largest σ_max among the recurrent blocks.</param>
public sealed record GradientFlowSnapshot(long Step, double Slope, double[] Log10GradH, double MaxSpectralRadius, double MaxSingularValue);

/// <summary>
/// A training callback that records gradient flow every <see cref="Every"/> updates on a fixed probe batch, so a
/// user sees the curve change as the network learns. Call <see cref="AfterStep"/> after each optimizer step (it
/// leaves parameter gradients dirty: the next update must zero them first, as every trainer here does).
/// </summary>
public sealed class GradientFlowMonitor
{
    private readonly Recurrent _rnn;
    private readonly Tensor _input;
    private readonly Tensor _probe;
    private readonly List<GradientFlowSnapshot> _snapshots = [];

    /// <param name="rnn">The recurrent module (its top layer is measured).</param>
    /// <param name="input">The probe batch <c>[T, B, I]</c> fed to <paramref name="rnn"/>; kept, not copied.</param>
    public GradientFlowMonitor(Recurrent rnn, Tensor input, int every, ulong seed = 1)
    {
        ArgumentNullException.ThrowIfNull(rnn);
        ArgumentNullException.ThrowIfNull(input);
        if (every < 1) throw new ArgumentException($"the monitor needs an interval ≥ 1, got {every}");
        _rnn = rnn;
        _input = input;
        Every = every;
        _probe = GradientFlow.GaussianProbe(input.Dim(1), rnn.Options.StateSize, new Rng(seed));
    }

    public int Every { get; }
    public IReadOnlyList<GradientFlowSnapshot> Snapshots => _snapshots;

    /// <summary>Records a snapshot when <paramref name="step"/> is 0 or a multiple of <see cref="Every"/>.</summary>
    public GradientFlowSnapshot? AfterStep(long step) => step % Every == 0 ? Record(step) : null;

    /// <summary>Measures now (same probe every time, so snapshots compare).</summary>
    public GradientFlowSnapshot Record(long step)
    {
        var flow = GradientFlow.Measure(_rnn, _input, probe: _probe);
        var spectrum = RecurrentSpectrum.Analyze(_rnn);
        double rho = spectrum.Where(s => double.IsFinite(s.SpectralRadius)).Select(s => s.SpectralRadius).DefaultIfEmpty(double.NaN).Max();
        double sigma = spectrum.Max(s => s.LargestSingularValue);
        var snap = new GradientFlowSnapshot(step, flow.Slope, flow.Log10GradH, rho, sigma);
        _snapshots.Add(snap);
        return snap;
    }
}
