using CsCheck;
using Recur.Kernels;

namespace Recur.Tests.Kernels;

public class ElementwiseTests
{
    // Lengths around vector widths (8, 16) and a longer one; values over the ranges where the
    // functions bend and saturate.
    static readonly Gen<float[]> Values = Gen.Int[1, 70].SelectMany(n => Gen.Float[-20f, 20f].Array[n]);
    static readonly Gen<(float[], float[])> Pairs =
        Gen.Int[1, 70].SelectMany(n => Gen.Select(Gen.Float[-20f, 20f].Array[n], Gen.Float[-3f, 3f].Array[n]));

    static void Close(double want, float got, double rel, string what)
        => Assert.True(Math.Abs(got - want) <= rel * (1 + Math.Abs(want)), $"{what}: got {got}, want {want}");

    [Fact]
    public void Sigmoid_tanh_relu_match_System_Math()
    {
        Values.Sample(x =>
        {
            var y = new float[x.Length];
            Elementwise.Sigmoid(x, y);
            for (int i = 0; i < x.Length; i++) Close(1 / (1 + Math.Exp(-x[i])), y[i], 2e-6, $"sigmoid({x[i]})");
            Elementwise.Tanh(x, y);
            for (int i = 0; i < x.Length; i++) Close(Math.Tanh(x[i]), y[i], 2e-6, $"tanh({x[i]})");
            Elementwise.Relu(x, y);
            for (int i = 0; i < x.Length; i++) Assert.Equal(Math.Max(0f, x[i]), y[i]);
        }, iter: 200);
    }

    [Fact]
    public void Backward_forms_match_derivatives()
    {
        Pairs.Sample((x, dy) =>
        {
            int n = x.Length;
            var s = new float[n]; var t = new float[n]; var r = new float[n]; var dx = new float[n];
            Elementwise.Sigmoid(x, s);
            Elementwise.SigmoidBackward(s, dy, dx);
            for (int i = 0; i < n; i++)
            {
                double sv = 1 / (1 + Math.Exp(-x[i]));
                Close(dy[i] * sv * (1 - sv), dx[i], 1e-5, $"sigmoid'({x[i]})");
            }
            Elementwise.Tanh(x, t);
            Elementwise.TanhBackward(t, dy, dx);
            for (int i = 0; i < n; i++)
            {
                double tv = Math.Tanh(x[i]);
                Close(dy[i] * (1 - tv * tv), dx[i], 1e-5, $"tanh'({x[i]})");
            }
            Elementwise.Relu(x, r);
            Elementwise.ReluBackward(r, dy, dx);
            for (int i = 0; i < n; i++) Assert.Equal(x[i] > 0 ? dy[i] : 0f, dx[i]);
        }, iter: 200);
    }

    [Fact]
    public void AddRowVector_and_AccumulateColumnSums_match_loops()
    {
        Gen.Select(Gen.Int[0, 13], Gen.Int[1, 70], Gen.Int).Sample((rows, cols, seed) =>
        {
            var rnd = new Random(seed);
            var m = new float[rows * cols];
            var bias = new float[cols];
            for (int i = 0; i < m.Length; i++) m[i] = (float)rnd.NextDouble() - 0.5f;
            for (int j = 0; j < cols; j++) bias[j] = (float)rnd.NextDouble();
            var sums = (float[])bias.Clone();
            var orig = (float[])m.Clone();

            Elementwise.AccumulateColumnSums(m, sums);
            for (int j = 0; j < cols; j++)
            {
                // Rows added in order: exactly the float sums of this loop (bias gradients stay reproducible).
                float want = bias[j];
                for (int r = 0; r < rows; r++) want += orig[r * cols + j];
                Assert.Equal(want, sums[j]);
            }
            Elementwise.AddRowVector(m, bias);
            for (int r = 0; r < rows; r++)
                for (int j = 0; j < cols; j++)
                    Assert.Equal(orig[r * cols + j] + bias[j], m[r * cols + j]);
        }, iter: 100);
    }

    [Fact]
    public void Shape_mismatches_throw()
    {
        Assert.Throws<ArgumentException>(() => Elementwise.SigmoidBackward(new float[3], new float[3], new float[2]));
        Assert.Throws<ArgumentException>(() => Elementwise.TanhBackward(new float[3], new float[2], new float[3]));
        Assert.Throws<ArgumentException>(() => Elementwise.ReluBackward(new float[2], new float[3], new float[3]));
        Assert.Throws<ArgumentException>(() => Elementwise.AddRowVector(new float[7], new float[3]));
        Assert.Throws<ArgumentException>(() => Elementwise.AccumulateColumnSums(new float[7], new float[3]));
    }

    [Fact]
    public void Empty_spans_are_a_no_op()
    {
        Elementwise.Sigmoid([], []);
        Elementwise.Tanh([], []);
        Elementwise.Relu([], []);
        Elementwise.SigmoidBackward([], [], []);
        Elementwise.TanhBackward([], [], []);
    }
}
