using Recur.Cells;
using Recur.Layers;
using Recur.Tensors;

namespace Recur.Tests.Reference;

/// <summary>
/// A small random case for a <see cref="Recurrent"/> layer: the layer (seeded parameters), float32 inputs
/// and upstream gradients, and the same numbers in float64 for <see cref="ReferenceRnn"/>. Every float64
/// value is exactly the float32 value the layer sees.
/// L = Σ output·gO + Σ h_n·gH [+ Σ c_n·gC].
/// </summary>
public sealed class RefCase
{
    public RecurrentOptions Options { get; }
    public int T { get; }
    public int B { get; }
    public int[]? Lengths { get; }
    public Recurrent Layer { get; }
    public bool HasC => Options.Cell.IsLstm();

    public float[] X { get; }
    public float[] H0 { get; }
    public float[]? C0 { get; }
    public float[] GradOutput { get; }
    public float[] GradHN { get; }
    public float[]? GradCN { get; }

    public int StateCount => Options.NumLayers * Options.Directions;

    private RefCase(RecurrentOptions o, int t, int b, int[]? lengths, int seed)
    {
        Options = o;
        T = t;
        B = b;
        Lengths = lengths;
        Layer = new Recurrent(o, seed);
        var rng = new Random(seed * 7919 + 13);
        if (o.Cell == CellType.RnnRelu)
        {
            // keep a ReLU stack away from both blow-up and all-dead units; values stay float32
            foreach (var p in Layer.Parameters)
                if (p.Name.StartsWith("weight_hh", StringComparison.Ordinal))
                    for (int i = 0; i < p.Value.Length; i++) p.Value[i] *= 0.5f;
        }
        int sc = o.NumLayers * o.Directions;
        X = Normal(rng, t * b * o.InputSize);
        H0 = Uniform(rng, sc * b * o.StateSize);
        C0 = o.Cell.IsLstm() ? Normal(rng, sc * b * o.HiddenSize) : null;
        GradOutput = Normal(rng, t * b * o.OutputSize);
        GradHN = Normal(rng, sc * b * o.StateSize);
        GradCN = o.Cell.IsLstm() ? Normal(rng, sc * b * o.HiddenSize) : null;
    }

    public static RefCase Create(RecurrentOptions o, int t, int b, int seed, int[]? lengths = null) => new(o, t, b, lengths, seed);

    public Tensor XTensor() => new((float[])X.Clone(), T, B, Options.InputSize);
    public Tensor H0Tensor() => new((float[])H0.Clone(), StateCount, B, Options.StateSize);
    public Tensor? C0Tensor() => C0 == null ? null : new((float[])C0.Clone(), StateCount, B, Options.HiddenSize);
    public Tensor GradOutputTensor() => new((float[])GradOutput.Clone(), T, B, Options.OutputSize);
    public Tensor GradHNTensor() => new((float[])GradHN.Clone(), StateCount, B, Options.StateSize);
    public Tensor? GradCNTensor() => GradCN == null ? null : new((float[])GradCN.Clone(), StateCount, B, Options.HiddenSize);

    public int[]? LengthsCopy() => Lengths == null ? null : (int[])Lengths.Clone();

    /// <summary>The layer's current parameter values in float64, by state_dict name.</summary>
    public Dictionary<string, double[]> ParamsDouble()
    {
        var d = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach (var p in Layer.Parameters) d[p.Name] = ToDouble(p.Value.Data);
        return d;
    }

    public RecurrentResult LayerForward() => Layer.Forward(XTensor(), H0Tensor(), C0Tensor(), LengthsCopy());

    public RecurrentGradients LayerBackward() => Layer.Backward(GradOutputTensor(), GradHNTensor(), GradCNTensor());

    public ReferenceRnn.Result ReferenceForward(
        IReadOnlyDictionary<string, double[]> p, double[] x, double[] h0, double[]? c0, ReferenceRnn.StepHook? hook = null)
        => ReferenceRnn.Forward(Options, p, x, T, B, h0, c0, Lengths, hook);

    public ReferenceRnn.Result ReferenceForward() => ReferenceForward(ParamsDouble(), ToDouble(X), ToDouble(H0), C0 == null ? null : ToDouble(C0));

    /// <summary>L = Σ output·gO + Σ h_n·gH [+ Σ c_n·gC] of a reference result.</summary>
    public double Loss(ReferenceRnn.Result r)
    {
        double l = Dot(r.Output, GradOutput) + Dot(r.HN, GradHN);
        if (r.CN != null) l += Dot(r.CN, GradCN!);
        return l;
    }

    public static double Dot(double[] a, float[] b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"length {a.Length} vs {b.Length}");
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    public static double[] ToDouble(float[] v)
    {
        var d = new double[v.Length];
        for (int i = 0; i < v.Length; i++) d[i] = v[i];
        return d;
    }

    public static float[] Normal(Random rng, int n)
    {
        var v = new float[n];
        for (int i = 0; i < n; i++)
        {
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            v[i] = (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return v;
    }

    public static float[] Uniform(Random rng, int n)
    {
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)(rng.NextDouble() * 2 - 1);
        return v;
    }

    public override string ToString() =>
        $"{Options.Cell.FixtureName()} I={Options.InputSize} H={Options.HiddenSize} P={Options.ProjSize} L={Options.NumLayers} " +
        $"bidir={Options.Bidirectional} T={T} B={B} lengths={(Lengths == null ? "none" : string.Join(",", Lengths))}";
}

/// <summary>Comparison helpers that report the worst element by index.</summary>
public static class Compare
{
    /// <summary>Asserts |got − want| ≤ tol · max(1, max|want|) element-wise.</summary>
    public static void Close(string what, ReadOnlySpan<double> want, ReadOnlySpan<float> got, double tol)
    {
        Assert.True(want.Length == got.Length, $"{what}: length {got.Length}, expected {want.Length}");
        double scale = 1;
        foreach (var w in want) scale = Math.Max(scale, Math.Abs(w));
        int worst = -1;
        double worstErr = 0;
        for (int i = 0; i < want.Length; i++)
        {
            double e = Math.Abs(got[i] - want[i]);
            if (!(e <= worstErr) || double.IsNaN(got[i])) { worstErr = double.IsNaN(got[i]) ? double.PositiveInfinity : e; worst = i; }
        }
        Assert.True(worstErr <= tol * scale,
            $"{what}: max abs error {worstErr:E3} at flat index {worst} (got {got[Math.Max(worst, 0)]:R}, expected {want[Math.Max(worst, 0)]:R}), tolerance {tol * scale:E3}");
    }

    public static void Close(string what, ReadOnlySpan<float> want, ReadOnlySpan<float> got, double tol)
    {
        var w = new double[want.Length];
        for (int i = 0; i < w.Length; i++) w[i] = want[i];
        Close(what, w, got, tol);
    }
}
