using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Recur.Reservoir;

/// <summary>
/// An echo state network (Jaeger 2001): a fixed random sparse reservoir of leaky tanh units and a
/// trained linear readout. With K inputs, L outputs, N units:
/// <code>
///   x_t = (1 − a)·x_{t−1} + a·( tanh(W_in·[1; u_t] + W·x_{t−1} + W_fb·y_{t−1}) + ν_t )
///   z_t = [1; u_t; x_t]        (or [1; x_t])       y_t = W_out·z_t
/// </code>
/// W [N, N] is sparse (CSR), rescaled to the requested spectral radius; W_in [N, 1+K] and W_fb [N, L]
/// are dense, uniform; ν is training-only noise. Everything runs in float64.
/// <para>Sequences are time-major row-major spans: inputs [T, K], targets/outputs [T, L].
/// Training (teacher forcing) feeds y_{t−1} from the targets; one-step prediction feeds true inputs;
/// generative (closed-loop) prediction feeds the network's own output back as the next input.</para>
/// </summary>
public sealed class EchoStateNetwork
{
    public EsnOptions Options { get; }
    public int Inputs { get; }
    public int Outputs { get; }
    public int Units => Options.Units;
    /// <summary>Length of the readout's feature vector z.</summary>
    public int Features { get; }
    /// <summary>The recurrent matrix after rescaling.</summary>
    public SparseMatrix Recurrent { get; }
    /// <summary>What the eigen-solver found for the random matrix before rescaling.</summary>
    public SpectralRadiusResult RawRadius { get; }
    /// <summary>The spectral radius after rescaling (the estimate times the scale factor).</summary>
    public double SpectralRadius { get; }
    /// <summary>W_out [Outputs, Features], null until trained.</summary>
    public double[]? ReadoutWeights { get; private set; }

    private readonly double[] _win;    // [1 + K, N]: column c of W_in stored contiguously (c = 0 the bias)
    private readonly double[]? _wfb;   // [L, N] likewise
    private readonly double[] _z;      // [Features] = [1; u; x] (u only when ReadoutInput); x lives inside
    private readonly double[] _u;      // [K] last input
    private readonly double[] _yPrev;  // [L] last output (fed back)
    private readonly double[] _pre;    // [N]
    private readonly int _xOffset;
    private readonly Random _noise;

    public EchoStateNetwork(int inputs, int outputs, EsnOptions options)
    {
        options.Validate();
        if (inputs < 0 || outputs <= 0) throw new ArgumentException($"esn: needs ≥ 0 inputs and ≥ 1 output, got {inputs} and {outputs}");
        if (inputs == 0 && options.FeedbackScaling == 0) throw new ArgumentException("esn: a network without inputs needs output feedback (--feedback-scaling > 0)");
        Options = options; Inputs = inputs; Outputs = outputs;
        int n = options.Units;
        var rng = new Random(options.Seed);
        var w = SparseMatrix.Random(n, options.Density, options.InDegree, rng);
        RawRadius = Reservoir.SpectralRadius.Estimate(w, seed: options.Seed);
        if (!(RawRadius.Radius > 1e-12)) throw new ArgumentException($"esn: the random recurrent matrix is (numerically) nilpotent, ρ = {RawRadius.Radius:g3}; raise --density or --units");
        w.Scale(options.SpectralRadius / RawRadius.Radius);
        Recurrent = w;
        SpectralRadius = options.SpectralRadius;

        _win = new double[(1 + inputs) * n];
        for (int i = 0; i < n; i++) _win[i] = options.BiasScaling * (2 * rng.NextDouble() - 1);
        for (int i = n; i < _win.Length; i++) _win[i] = options.InputScaling * (2 * rng.NextDouble() - 1);
        if (options.FeedbackScaling > 0)
        {
            _wfb = new double[outputs * n];
            for (int i = 0; i < _wfb.Length; i++) _wfb[i] = options.FeedbackScaling * (2 * rng.NextDouble() - 1);
        }
        _xOffset = 1 + (options.ReadoutInput ? inputs : 0);
        Features = _xOffset + n;
        _z = new double[Features];
        _u = new double[inputs];
        _yPrev = new double[outputs];
        _pre = new double[n];
        _noise = new Random(unchecked(options.Seed * 7919 + 17));
        Reset();
    }

    /// <summary>The reservoir state x (N values).</summary>
    public ReadOnlySpan<double> State => _z.AsSpan(_xOffset, Units);

    /// <summary>The current feature vector z = [1; u; x].</summary>
    public ReadOnlySpan<double> FeatureVector => _z;

    /// <summary>A copy of everything that evolves: state, last input, last output.</summary>
    public double[] SaveState() => [.. _z, .. _u, .. _yPrev];

    /// <summary>Restores what <see cref="SaveState"/> returned.</summary>
    public void RestoreState(double[] saved)
    {
        if (saved.Length != _z.Length + _u.Length + _yPrev.Length) throw new ArgumentException("esn: saved state of another network");
        saved.AsSpan(0, _z.Length).CopyTo(_z);
        saved.AsSpan(_z.Length, _u.Length).CopyTo(_u);
        saved.AsSpan(_z.Length + _u.Length).CopyTo(_yPrev);
    }

    /// <summary>Zero state, zero last input and output.</summary>
    public void Reset()
    {
        Array.Clear(_z);
        _z[0] = 1;
        Array.Clear(_u);
        Array.Clear(_yPrev);
    }

    /// <summary>One reservoir update with input u (K values); the fed-back output is the last one set.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Step(ReadOnlySpan<double> u, bool noise = false)
    {
        int n = Units;
        if (u.Length != Inputs) throw new ArgumentException($"esn: input has {u.Length} values, network has {Inputs}");
        var pre = _pre.AsSpan();
        var x = _z.AsSpan(_xOffset, n);
        Recurrent.Multiply(x, pre);
        TensorPrimitives.Add(pre, _win.AsSpan(0, n), pre);
        for (int k = 0; k < Inputs; k++)
            if (u[k] != 0) TensorPrimitives.MultiplyAdd(_win.AsSpan((1 + k) * n, n), u[k], pre, pre);
        if (_wfb != null)
            for (int l = 0; l < Outputs; l++)
                if (_yPrev[l] != 0) TensorPrimitives.MultiplyAdd(_wfb.AsSpan(l * n, n), _yPrev[l], pre, pre);
        TensorPrimitives.Tanh(pre, pre);
        if (noise && Options.StateNoise > 0)
        {
            double nu = Options.StateNoise;
            for (int i = 0; i < n; i++) pre[i] += nu * (2 * _noise.NextDouble() - 1);
        }
        double a = Options.Leak;
        if (a == 1) pre.CopyTo(x);
        else
        {
            TensorPrimitives.Multiply(x, 1 - a, x);
            TensorPrimitives.MultiplyAdd(pre, a, x, x);
        }
        u.CopyTo(_u);
        if (Options.ReadoutInput) u.CopyTo(_z.AsSpan(1, Inputs));
    }

    /// <summary>y = W_out·z for the current state.</summary>
    public void Readout(Span<double> y)
    {
        var w = ReadoutWeights ?? throw new InvalidOperationException("esn: the readout is not trained");
        if (y.Length != Outputs) throw new ArgumentException($"esn: output span has {y.Length} values, network has {Outputs}");
        for (int o = 0; o < Outputs; o++) y[o] = TensorPrimitives.Dot(w.AsSpan(o * Features, Features), _z);
    }

    /// <summary>Sets the fed-back previous output y_{t−1} (teacher forcing).</summary>
    public void SetLastOutput(ReadOnlySpan<double> y) => y.CopyTo(_yPrev);

    /// <summary>
    /// Runs the reservoir over <paramref name="steps"/> teacher-forced steps from its current state and adds
    /// (z_t, y_t) for t ≥ washout to a ridge accumulator (new one unless given). Targets [T, L]: y_t is
    /// what the readout should output after seeing u_t; it is also the fed-back y_{t} for step t + 1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public RidgeReadout Harvest(ReadOnlySpan<double> inputs, ReadOnlySpan<double> targets, int steps, RidgeReadout? into = null)
    {
        CheckSequence(inputs, targets, steps);
        var ridge = into ?? new RidgeReadout(Features, Outputs);
        const int chunk = 512;
        var zs = new double[Math.Min(chunk, Math.Max(1, steps)) * Features];
        var ys = new double[Math.Min(chunk, Math.Max(1, steps)) * Outputs];
        int rows = 0;
        for (int t = 0; t < steps; t++)
        {
            Step(inputs.Slice(t * Inputs, Inputs), noise: true);
            if (t >= Options.Washout)
            {
                _z.CopyTo(zs.AsSpan(rows * Features, Features));
                targets.Slice(t * Outputs, Outputs).CopyTo(ys.AsSpan(rows * Outputs, Outputs));
                if (++rows * Features == zs.Length) { ridge.Accumulate(zs, ys, rows); rows = 0; }
            }
            SetLastOutput(targets.Slice(t * Outputs, Outputs));
        }
        ridge.Accumulate(zs, ys, rows);
        return ridge;
    }

    /// <summary>Teacher-forced training with the ridge readout (β = Options.Ridge). Returns the accumulator (reusable for other β).</summary>
    public RidgeReadout Train(ReadOnlySpan<double> inputs, ReadOnlySpan<double> targets, int steps)
    {
        var ridge = Harvest(inputs, targets, steps);
        if (ridge.Samples == 0) throw new ArgumentException($"esn: no training samples left after a washout of {Options.Washout} steps out of {steps}");
        ReadoutWeights = ridge.Solve(Options.Ridge);
        return ridge;
    }

    /// <summary>Installs a readout W_out [Outputs, Features].</summary>
    public void SetReadout(double[] weights)
    {
        if (weights.Length != Outputs * Features) throw new ArgumentException($"esn: readout needs {Outputs * Features} weights, got {weights.Length}");
        ReadoutWeights = weights;
    }

    /// <summary>
    /// Online training with recursive least squares (δ = <paramref name="delta"/>). With
    /// <paramref name="force"/> the network's own output, not the teacher, is fed back as the next
    /// input and feedback while the weights adapt (FORCE learning): it learns to be stable in closed loop.
    /// Returns the mean squared a-priori error over the last tenth of the steps.
    /// </summary>
    public double TrainRls(ReadOnlySpan<double> inputs, ReadOnlySpan<double> targets, int steps, double delta = 1.0, bool force = false)
    {
        CheckSequence(inputs, targets, steps);
        if (force && Inputs != Outputs && Inputs != 0) throw new ArgumentException("esn: FORCE training feeds the output back as input and needs as many inputs as outputs (or none)");
        var rls = new RlsReadout(Features, Outputs, delta);
        ReadoutWeights = rls.Weights;
        var y = new double[Outputs];
        var u = new double[Inputs];
        double tail = 0; int tailCount = 0;
        for (int t = 0; t < steps; t++)
        {
            if (force && t > Options.Washout && Inputs > 0) { Step(y, noise: true); }
            else { inputs.Slice(t * Inputs, Inputs).CopyTo(u); Step(u, noise: true); }
            var target = targets.Slice(t * Outputs, Outputs);
            if (t >= Options.Washout)
            {
                double e = rls.Update(_z, target);
                if (t >= steps - Math.Max(1, steps / 10)) { tail += e / Outputs; tailCount++; }
            }
            if (force && t >= Options.Washout) { rls.Predict(_z, y); SetLastOutput(y); }
            else { target.CopyTo(y); SetLastOutput(target); }
        }
        return tailCount > 0 ? tail / tailCount : double.NaN;
    }

    /// <summary>
    /// Predicts <paramref name="steps"/> outputs from the current state. Output i is the readout of the
    /// current state; then, before output i + 1, the network steps with input <c>truth[i]</c> (one-step,
    /// teacher-forced prediction) or, if <paramref name="truth"/> is empty, with its own output i
    /// (generative, closed-loop prediction: needs as many inputs as outputs, or no inputs and feedback).
    /// </summary>
    public void Predict(Span<double> outputs, int steps, ReadOnlySpan<double> truth = default)
    {
        if (outputs.Length < steps * Outputs) throw new ArgumentException($"esn: output span holds {outputs.Length} values, {steps} steps need {steps * Outputs}");
        bool generative = truth.IsEmpty;
        if (generative && Inputs != Outputs && Inputs != 0) throw new ArgumentException($"esn: generative prediction feeds the output back as input and needs as many inputs as outputs, have {Inputs} and {Outputs}");
        if (!generative && truth.Length < (steps - 1) * Outputs) throw new ArgumentException("esn: one-step prediction needs the true values for every step but the last");
        if (!generative && Inputs != Outputs && Inputs != 0) throw new ArgumentException("esn: one-step prediction feeds the true next value as input and needs as many inputs as outputs");
        for (int i = 0; i < steps; i++)
        {
            var y = outputs.Slice(i * Outputs, Outputs);
            Readout(y);
            if (i == steps - 1) break;
            ReadOnlySpan<double> next = generative ? y : truth.Slice(i * Outputs, Outputs);
            SetLastOutput(next);
            Step(Inputs == 0 ? ReadOnlySpan<double>.Empty : next);
        }
    }

    private void CheckSequence(ReadOnlySpan<double> inputs, ReadOnlySpan<double> targets, int steps)
    {
        if (steps < 0) throw new ArgumentException($"esn: negative step count {steps}");
        if (inputs.Length < steps * Inputs) throw new ArgumentException($"esn: {steps} steps need {steps * Inputs} input values, got {inputs.Length}");
        if (targets.Length < steps * Outputs) throw new ArgumentException($"esn: {steps} steps need {steps * Outputs} target values, got {targets.Length}");
    }
}
