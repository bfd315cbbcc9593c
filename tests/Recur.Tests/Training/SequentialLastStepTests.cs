using Recur.Cells;
using Recur.Layers;
using Recur.Training;

namespace Recur.Tests.Training;

/// <summary><see cref="Sequential.ForwardLast"/> / <see cref="Sequential.BackwardLast"/>: the many-to-one pair equals
/// the full pass read (and driven) at the last step only.</summary>
public class SequentialLastStepTests
{
    private const int T = 7, B = 5, I = 3, H = 6, O = 2;

    private static (Sequential Net, float[] X, float[] G) Make(int layers, float dropout)
    {
        var rng = new Rng(11);
        var net = new Sequential(new SequentialOptions(CellType.Lstm, I, H, layers, O, Dropout: dropout, SplitLayers: layers > 1), rng);
        var x = new float[T * B * I];
        var g = new float[B * O];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextGaussian();
        for (int i = 0; i < g.Length; i++) g[i] = (float)rng.NextGaussian();
        return (net, x, g);
    }

    [Theory]
    [InlineData(1, 0f)]
    [InlineData(3, 0f)]
    [InlineData(3, 0.3f)]   // dropout is the identity at inference, and not drawn here in training
    public void Outputs_and_gradients_equal_the_full_pass_at_the_last_step(int layers, float dropout)
    {
        var (net, x, gLast) = Make(layers, dropout);
        var full = net.Forward(x, T, B).ToArray();
        var last = net.ForwardLast(x, T, B).ToArray();
        Assert.Equal(B * O, last.Length);
        for (int i = 0; i < B * O; i++) Assert.Equal(full[(T - 1) * B * O + i], last[i], 6);
        if (dropout > 0) return;

        // Backward of the full pass with ∂L/∂y zero but at step T−1, against BackwardLast.
        var gFull = new float[T * B * O];
        gLast.CopyTo(gFull, (T - 1) * B * O);
        net.ZeroGrad();
        net.Forward(x, T, B, training: true, rng: new Rng(1));
        net.Backward(gFull);
        var want = net.NamedParameters.Select(p => p.Parameter.Grad.Span.ToArray()).ToArray();
        net.ZeroGrad();
        net.ForwardLast(x, T, B, training: true, rng: new Rng(1));
        net.BackwardLast(gLast);
        var got = net.NamedParameters.Select(p => p.Parameter.Grad.Span.ToArray()).ToArray();
        for (int k = 0; k < want.Length; k++)
            for (int i = 0; i < want[k].Length; i++)
                Assert.True(Math.Abs(want[k][i] - got[k][i]) <= 1e-6f * (1 + Math.Abs(want[k][i])),
                    $"{net.NamedParameters[k].Name}[{i}]: {got[k][i]} vs {want[k][i]}");
        Assert.Contains(got, a => a.Any(v => v != 0));
    }

    [Fact]
    public void Training_with_dropout_draws_masks_for_the_last_step_and_backward_runs()
    {
        var (net, x, gLast) = Make(3, 0.5f);
        var y = net.ForwardLast(x, T, B, training: true, rng: new Rng(2)).ToArray();
        Assert.Equal(B * O, y.Length);
        Assert.All(y, v => Assert.True(float.IsFinite(v)));
        net.ZeroGrad();
        net.BackwardLast(gLast);
        Assert.Contains(net.NamedParameters, p => p.Parameter.Grad.Span.ToArray().Any(v => v != 0));
    }

    [Fact]
    public void The_backward_must_match_the_forward_kind()
    {
        var (net, x, gLast) = Make(1, 0f);
        net.ForwardLast(x, T, B);
        Assert.Throws<InvalidOperationException>(() => net.Backward(new float[T * B * O]));
        Assert.Throws<ArgumentException>(() => net.BackwardLast(new float[T * B * O]));
        net.Forward(x, T, B);
        Assert.Equal(T * B * O, net.Logits.Length);
        Assert.Throws<InvalidOperationException>(() => net.BackwardLast(gLast));
    }
}
