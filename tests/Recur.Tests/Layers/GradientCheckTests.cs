using Recur.Cells;
using Recur.Layers;
using Recur.Tests.Reference;

namespace Recur.Tests.Layers;

/// <summary>
/// The layer (float32) against the float64 reference: forward values, and every gradient of
/// L = Σ output·gO + Σ h_n·gH [+ Σ c_n·gC] against central finite differences of L on the reference.
/// </summary>
public class GradientCheckTests
{
    private const int I = 3, H = 4, B = 2, T = 5, P = 3;
    private const double ForwardTol = 1e-5;
    private const double GradTol = 1e-4;
    private const double Eps = 1e-6;

    public static readonly string[] Configs = ["1layer", "2layer-bidir", "lengths-2layer-bidir", "wide-lengths", "batch6-lengths", "proj-2layer-bidir", "proj-lengths", "proj-wide"];

    // H = 19 = 16 + 3: the vectorised kernels run full vectors and a remainder (Vector<float> of 4, 8 or 16)
    private const int WideH = 19;

    public static TheoryData<CellType, string> Cases()
    {
        var data = new TheoryData<CellType, string>();
        foreach (var cell in Enum.GetValues<CellType>())
            foreach (var config in Configs)
                if (!config.StartsWith("proj", StringComparison.Ordinal) || cell.IsLstm())
                    data.Add(cell, config);
        return data;
    }

    internal static RefCase MakeCase(CellType cell, string config)
    {
        int seed = 100 + (int)cell * 10 + Array.IndexOf(Configs, config);
        return config switch
        {
            "1layer" => RefCase.Create(new RecurrentOptions(cell, I, H), T, B, seed),
            "2layer-bidir" => RefCase.Create(new RecurrentOptions(cell, I, H, NumLayers: 2, Bidirectional: true), T, B, seed),
            // three sequences: full length, a short one, length 1
            "lengths-2layer-bidir" => RefCase.Create(new RecurrentOptions(cell, I, H, NumLayers: 2, Bidirectional: true), T, 3, seed, [T, 3, 1]),
            "wide-lengths" => RefCase.Create(new RecurrentOptions(cell, 5, WideH, Bidirectional: true), 4, 3, seed, [4, 1, 3]),
            // more rows than the small-batch GEMV path takes
            "batch6-lengths" => RefCase.Create(new RecurrentOptions(cell, I, H, Bidirectional: true), 4, 6, seed, [4, 2, 1, 3, 4, 2]),
            "proj-2layer-bidir" => RefCase.Create(new RecurrentOptions(cell, I, H, NumLayers: 2, Bidirectional: true, ProjSize: P), T, B, seed),
            "proj-lengths" => RefCase.Create(new RecurrentOptions(cell, I, H, NumLayers: 1, Bidirectional: true, ProjSize: P), T, 3, seed, [2, T, 4]),
            "proj-wide" => RefCase.Create(new RecurrentOptions(cell, 5, WideH, ProjSize: 9), 4, 2, seed),
            _ => throw new ArgumentException(config),
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_matches_float64_reference(CellType cell, string config)
    {
        var c = MakeCase(cell, config);
        var want = c.ReferenceForward();
        var got = c.LayerForward();

        Assert.Equal([c.T, c.B, c.Options.OutputSize], got.Output.Shape);
        Assert.Equal([c.StateCount, c.B, c.Options.StateSize], got.HN.Shape);
        Compare.Close($"{c} output", want.Output, got.Output.Span, ForwardTol);
        Compare.Close($"{c} h_n", want.HN, got.HN.Span, ForwardTol);
        if (c.HasC)
        {
            Assert.NotNull(got.CN);
            Assert.Equal([c.StateCount, c.B, c.Options.HiddenSize], got.CN!.Shape);
            Compare.Close($"{c} c_n", want.CN!, got.CN.Span, ForwardTol);
        }
        else
        {
            Assert.Null(got.CN);
        }

        if (c.Lengths != null)
        {
            // padded steps output exactly zero
            var o = got.Output.Span;
            int w = c.Options.OutputSize;
            for (int t = 0; t < c.T; t++)
                for (int b = 0; b < c.B; b++)
                    if (t >= c.Lengths[b])
                        for (int j = 0; j < w; j++)
                            Assert.True(o[(t * c.B + b) * w + j] == 0f, $"{c}: output[{t},{b},{j}] = {o[(t * c.B + b) * w + j]} past length {c.Lengths[b]}, expected exactly 0");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Backward_matches_finite_differences_of_reference(CellType cell, string config)
    {
        var c = MakeCase(cell, config);
        c.Layer.ZeroGrad();
        c.LayerForward();
        var g = c.LayerBackward();

        var p = c.ParamsDouble();
        var x = RefCase.ToDouble(c.X);
        var h0 = RefCase.ToDouble(c.H0);
        var c0 = c.C0 == null ? null : RefCase.ToDouble(c.C0);
        double LossNow() => c.Loss(c.ReferenceForward(p, x, h0, c0));

        var failures = new List<string>();
        void Check(string name, double[] values, ReadOnlySpan<float> got)
        {
            if (got.Length != values.Length)
            {
                failures.Add($"{name}: gradient has {got.Length} elements, expected {values.Length}");
                return;
            }
            for (int i = 0; i < values.Length; i++)
            {
                double v = values[i];
                values[i] = v + Eps;
                double lp = LossNow();
                values[i] = v - Eps;
                double lm = LossNow();
                values[i] = v;
                double fd = (lp - lm) / (2 * Eps);
                double err = Math.Abs(got[i] - fd);
                if (!(err <= GradTol * Math.Max(1, Math.Abs(fd))))
                    failures.Add($"{name}[{i}]: got {got[i]:R}, finite difference {fd:R} (error {err:E2})");
            }
        }

        foreach (var param in c.Layer.Parameters)
            Check("grad." + param.Name, p[param.Name], param.Grad.Span);
        Check("grad.x", x, g.X.Span);
        Check("grad.h0", h0, g.H0.Span);
        if (c.HasC)
        {
            Assert.NotNull(g.C0);
            Check("grad.c0", c0!, g.C0!.Span);
        }
        else
        {
            Assert.Null(g.C0);
        }

        Assert.True(failures.Count == 0,
            $"{c}: {failures.Count} gradient elements off, first ones:\n  " + string.Join("\n  ", failures.Take(12)));

        Assert.Equal([c.T, c.B, c.Options.InputSize], g.X.Shape);
        Assert.Equal([c.StateCount, c.B, c.Options.StateSize], g.H0.Shape);
        if (c.HasC) Assert.Equal([c.StateCount, c.B, c.Options.HiddenSize], g.C0!.Shape);

        // the coupled LSTM's input-gate rows [0, H) are unused: exactly zero gradient
        if (cell == CellType.LstmCoupled)
        {
            foreach (var param in c.Layer.Parameters)
            {
                if (!param.Name.StartsWith("weight_ih", StringComparison.Ordinal) && !param.Name.StartsWith("weight_hh", StringComparison.Ordinal)
                    && !param.Name.StartsWith("bias_", StringComparison.Ordinal))
                    continue;
                int cols = param.Shape.Length == 2 ? param.Shape[1] : 1;
                int hid = c.Options.HiddenSize;
                var gr = param.Grad.Span;
                for (int k = 0; k < hid * cols; k++)
                    Assert.True(gr[k] == 0f, $"{c}: grad.{param.Name}[{k / cols}, {k % cols}] = {gr[k]:R} in the unused input-gate rows, expected exactly 0");
                // and the other rows are not all zero (the check above must not pass by doing nothing)
                bool any = false;
                for (int k = hid * cols; k < gr.Length; k++) any |= gr[k] != 0f;
                Assert.True(any, $"{c}: grad.{param.Name} is zero outside the input-gate rows too");
            }
        }

        // padded steps get exactly zero ∂x
        if (c.Lengths != null)
        {
            var gx = g.X.Span;
            for (int t = 0; t < c.T; t++)
                for (int b = 0; b < c.B; b++)
                {
                    bool padded = t >= c.Lengths[b];
                    double norm = 0;
                    int inW = c.Options.InputSize;
                    for (int j = 0; j < inW; j++) norm += Math.Abs(gx[(t * c.B + b) * inW + j]);
                    if (padded) Assert.True(norm == 0, $"{c}: grad.x[{t},{b},:] is nonzero past length {c.Lengths[b]}");
                }
        }
    }
}
