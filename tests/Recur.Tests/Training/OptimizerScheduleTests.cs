using Recur.Layers;
using Recur.Tensors;
using Recur.Training;

namespace Recur.Tests.Training;

/// <summary>Optimizers against steps computed by hand (PyTorch's formulas), schedules at their boundaries, clipping.</summary>
public class OptimizerScheduleTests
{
    // Two parameters so that the vectorised body and the scalar tail of Adam both run (length 19).
    private static (List<(string, Parameter)> Ps, Parameter P) One(float w, float g, int length = 19)
    {
        var p = new Parameter("w", Tensor.FromSpan(Enumerable.Repeat(w, length).ToArray(), length));
        p.Grad.Span.Fill(g);
        return ([("w", p)], p);
    }

    [Fact]
    public void Sgd_with_momentum_by_hand()
    {
        var (ps, p) = One(1f, 0.5f);
        var opt = Optimizer.Create(ps, new OptimizerOptions(OptimizerKind.Sgd, Momentum: 0.9f));
        opt.Step(0.1f);                      // b = g = 0.5; w = 1 − 0.05
        Assert.Equal(0.95f, p.Value[0], 6);
        p.Grad.Span.Fill(0.2f);
        opt.Step(0.1f);                      // b = 0.9·0.5 + 0.2 = 0.65; w = 0.95 − 0.065
        Assert.Equal(0.885f, p.Value[18], 6);
        Assert.Single(opt.State);
    }

    [Fact]
    public void Sgd_weight_decay_is_l2_on_the_gradient()
    {
        var (ps, p) = One(2f, 0f);
        Optimizer.Create(ps, new OptimizerOptions(OptimizerKind.Sgd, WeightDecay: 0.1f)).Step(0.5f);  // g = 0.2; w = 2 − 0.1
        Assert.Equal(1.9f, p.Value[0], 6);
    }

    [Fact]
    public void RmsProp_by_hand()
    {
        var (ps, p) = One(1f, 0.5f);
        var opt = Optimizer.Create(ps, new OptimizerOptions(OptimizerKind.RmsProp, Alpha: 0.9f, Epsilon: 1e-8f));
        opt.Step(0.01f);
        double v = 0.1 * 0.25, w = 1 - 0.01 * 0.5 / (Math.Sqrt(v) + 1e-8);
        Assert.Equal(w, p.Value[0], 5);
        p.Grad.Span.Fill(-0.3f);
        opt.Step(0.01f);
        v = 0.9 * v + 0.1 * 0.09;
        w -= 0.01 * -0.3 / (Math.Sqrt(v) + 1e-8);
        Assert.Equal(w, p.Value[5], 5);
    }

    [Theory]
    [InlineData(OptimizerKind.Adam)]
    [InlineData(OptimizerKind.AdamW)]
    public void Adam_bias_correction_by_hand(OptimizerKind kind)
    {
        float wd = 0.1f, lr = 0.01f;
        var (ps, p) = One(1f, 0.5f);
        var opt = Optimizer.Create(ps, new OptimizerOptions(kind, Beta1: 0.9f, Beta2: 0.999f, Epsilon: 1e-8f, WeightDecay: wd));
        double w = 1, m = 0, v = 0;
        double[] grads = [0.5, -0.25, 0.1];
        for (int t = 1; t <= 3; t++)
        {
            p.Grad.Span.Fill((float)grads[t - 1]);
            opt.Step(lr);
            double g = grads[t - 1];
            if (kind == OptimizerKind.AdamW) w *= 1 - lr * wd; else g += wd * w;
            m = 0.9 * m + 0.1 * g;
            v = 0.999 * v + 0.001 * g * g;
            double mHat = m / (1 - Math.Pow(0.9, t)), vHat = v / (1 - Math.Pow(0.999, t));
            w -= lr * mHat / (Math.Sqrt(vHat) + 1e-8);
            Assert.Equal(w, p.Value[0], 5);     // vector body
            Assert.Equal(w, p.Value[18], 5);    // scalar tail
        }
        // the first Adam step moves every weight by ≈ lr whatever the gradient's scale (bias correction)
        var (ps2, p2) = One(0f, 1e-4f);
        Optimizer.Create(ps2, new OptimizerOptions(OptimizerKind.Adam)).Step(0.01f);
        Assert.Equal(-0.01f, p2.Value[0], 4);
        Assert.Equal(2, opt.State.Count());
    }

    [Fact]
    public void Warmup_then_constant_step_and_cosine_at_their_boundaries()
    {
        var c = new LearningRateSchedule(ScheduleKind.Constant, 1f, WarmupSteps: 4);
        Assert.Equal(0.25f, c.Rate(0, 0));
        Assert.Equal(0.75f, c.Rate(2, 0));
        Assert.Equal(1f, c.Rate(3, 0));
        Assert.Equal(1f, c.Rate(4, 0));

        var s = new LearningRateSchedule(ScheduleKind.Step, 1f, WarmupSteps: 2, StepSize: 10, Gamma: 0.5f);
        Assert.Equal(1f, s.Rate(2, 0));
        Assert.Equal(1f, s.Rate(11, 0));
        Assert.Equal(0.5f, s.Rate(12, 0));
        Assert.Equal(0.5f, s.Rate(21, 0));
        Assert.Equal(0.25f, s.Rate(22, 0));

        var k = new LearningRateSchedule(ScheduleKind.Cosine, 1e-2f, 1e-3f, WarmupSteps: 10);
        long total = 111;  // updates 10..110 after warm-up
        Assert.Equal(1e-3f, k.Rate(0, k.ProgressBySteps(0, total)), 6);
        Assert.Equal(1e-2f, k.Rate(9, k.ProgressBySteps(9, total)), 6);
        Assert.Equal(1e-2f, k.Rate(10, k.ProgressBySteps(10, total)), 6);
        Assert.Equal(5.5e-3f, k.Rate(60, k.ProgressBySteps(60, total)), 6);
        Assert.Equal(1e-3f, k.Rate(110, k.ProgressBySteps(110, total)), 6);
        Assert.Equal(1e-3f, k.Rate(500, 1.5), 6);
    }

    [Fact]
    public void Clipping_by_global_norm_and_by_value()
    {
        var a = new Parameter("a", new Tensor(2));
        var b = new Parameter("b", new Tensor(1));
        a.Grad.Span[0] = 3; a.Grad.Span[1] = 0; b.Grad.Span[0] = 4;   // norm 5
        double n = GradientClipping.ClipByGlobalNorm([a, b], 1.0);
        Assert.Equal(5.0, n, 9);
        Assert.Equal(1.0, GradientClipping.GlobalNorm([a, b]), 5);
        Assert.Equal(0.6f, a.Grad[0], 5);
        n = GradientClipping.ClipByGlobalNorm([a, b], 10);   // below the threshold: unchanged
        Assert.Equal(0.6f, a.Grad[0], 5);
        b.Grad.Span[0] = -7;
        GradientClipping.ClipByValue([a, b], 0.5f);
        Assert.Equal(-0.5f, b.Grad[0]);
        Assert.Equal(0.5f, a.Grad[0]);
    }
}
