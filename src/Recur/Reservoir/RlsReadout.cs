using System.Numerics.Tensors;

namespace Recur.Reservoir;

/// <summary>
/// Online readout by recursive least squares (the learning rule of FORCE, Sussillo &amp; Abbott 2009).
/// P starts as I/δ, and per sample z with target y:
/// <code>
///   k = P·z / (λ + zᵀ·P·z)      e = W·z − y  (the error before the update)
///   W ← W − e·kᵀ                P ← (P − k·(P·z)ᵀ) / λ
/// </code>
/// With λ = 1 (no forgetting) the weights after n samples are exactly the ridge solution with β = δ
/// on those samples, so RLS is the online twin of <see cref="RidgeReadout"/>.
/// Cost O(F²) per sample: meant for online use and for FORCE's closed-loop training.
/// </summary>
public sealed class RlsReadout
{
    public int Features { get; }
    public int Outputs { get; }
    public double Forgetting { get; }
    public long Samples { get; private set; }
    /// <summary>W_out [Outputs, Features] row-major, updated in place.</summary>
    public double[] Weights { get; }
    private readonly double[] _p;   // [F, F], symmetric
    private readonly double[] _pz;  // [F]
    private readonly double[] _err; // [Outputs]

    public RlsReadout(int features, int outputs, double delta = 1.0, double forgetting = 1.0)
    {
        if (features <= 0 || outputs <= 0) throw new ArgumentException($"rls: features and outputs must be positive, got {features} and {outputs}");
        if (!(delta > 0) || double.IsInfinity(delta)) throw new ArgumentException($"rls: δ must be positive, got {delta}");
        if (!(forgetting > 0 && forgetting <= 1)) throw new ArgumentException($"rls: forgetting factor must be in (0, 1], got {forgetting}");
        Features = features; Outputs = outputs; Forgetting = forgetting;
        Weights = new double[outputs * features];
        _p = new double[features * features];
        for (int i = 0; i < features; i++) _p[i * features + i] = 1.0 / delta;
        _pz = new double[features];
        _err = new double[outputs];
    }

    /// <summary>W·z into <paramref name="y"/>.</summary>
    public void Predict(ReadOnlySpan<double> z, Span<double> y)
    {
        for (int o = 0; o < Outputs; o++) y[o] = TensorPrimitives.Dot(Weights.AsSpan(o * Features, Features), z);
    }

    /// <summary>One RLS step on sample (z, y). Returns the squared error before the update (summed over outputs).</summary>
    public double Update(ReadOnlySpan<double> z, ReadOnlySpan<double> y)
    {
        int f = Features;
        if (z.Length != f || y.Length != Outputs) throw new ArgumentException($"rls: sample has {z.Length} features and {y.Length} targets, expected {f} and {Outputs}");
        for (int i = 0; i < f; i++) _pz[i] = TensorPrimitives.Dot(_p.AsSpan(i * f, f), z);
        double denom = Forgetting + TensorPrimitives.Dot<double>(z, _pz);
        Predict(z, _err);
        double sq = 0;
        for (int o = 0; o < Outputs; o++)
        {
            _err[o] -= y[o];
            sq += _err[o] * _err[o];
            // W_o ← W_o − e_o·k, k = Pz / denom
            TensorPrimitives.MultiplyAdd(_pz, -_err[o] / denom, Weights.AsSpan(o * f, f), Weights.AsSpan(o * f, f));
        }
        // P ← (P − Pz·Pzᵀ / denom) / λ
        double inv = 1.0 / Forgetting;
        for (int i = 0; i < f; i++)
        {
            var row = _p.AsSpan(i * f, f);
            TensorPrimitives.MultiplyAdd(_pz, -_pz[i] / denom, row, row);
            if (inv != 1.0) TensorPrimitives.Multiply(row, inv, row);
        }
        Samples++;
        return sq;
    }
}
