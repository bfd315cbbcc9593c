using System.Numerics;
using Recur.Layers;
using Recur.Tensors;

namespace Recur.Training;

public enum OptimizerKind { Sgd, RmsProp, Adam, AdamW }

/// <summary>Hyper-parameters of an optimizer (PyTorch's defaults; the learning rate comes per step from the schedule).</summary>
public sealed record OptimizerOptions(
    OptimizerKind Kind = OptimizerKind.Adam,
    float Momentum = 0f,
    float Beta1 = 0.9f,
    float Beta2 = 0.999f,
    float Alpha = 0.99f,
    float Epsilon = 1e-8f,
    float WeightDecay = 0f);

/// <summary>
/// Updates parameters from their gradients, PyTorch's formulas (torch.optim, single-tensor path).
/// Weight decay is L2 added to the gradient (g += λ·w) for SGD, RMSProp and Adam, and decoupled
/// (w −= lr·λ·w before the step) for AdamW. One vectorised pass per parameter; no allocation per step.
/// </summary>
public abstract class Optimizer
{
    protected Optimizer(IReadOnlyList<(string Name, Parameter Parameter)> parameters, OptimizerOptions options)
    {
        Parameters = parameters;
        Options = options;
    }

    public IReadOnlyList<(string Name, Parameter Parameter)> Parameters { get; }
    public OptimizerOptions Options { get; }
    /// <summary>Updates done so far (Adam's t).</summary>
    public long StepCount { get; set; }

    public static Optimizer Create(IReadOnlyList<(string Name, Parameter Parameter)> parameters, OptimizerOptions options) => options.Kind switch
    {
        OptimizerKind.Sgd => new Sgd(parameters, options),
        OptimizerKind.RmsProp => new RmsProp(parameters, options),
        OptimizerKind.Adam or OptimizerKind.AdamW => new Adam(parameters, options),
        _ => throw new ArgumentOutOfRangeException(nameof(options)),
    };

    public static OptimizerKind ParseKind(string name) => name.Trim().ToLowerInvariant() switch
    {
        "sgd" => OptimizerKind.Sgd,
        "rmsprop" => OptimizerKind.RmsProp,
        "adam" => OptimizerKind.Adam,
        "adamw" => OptimizerKind.AdamW,
        _ => throw new ArgumentException($"unknown optimizer '{name}' (known: sgd, rmsprop, adam, adamw)"),
    };

    public void Step(float learningRate)
    {
        StepCount++;
        for (int i = 0; i < Parameters.Count; i++) Update(i, Parameters[i].Parameter, learningRate);
    }

    protected abstract void Update(int index, Parameter p, float lr);

    /// <summary>The state tensors, named <c>{parameter}.{slot}</c> (saved as <c>optim.{parameter}.{slot}</c>).</summary>
    public abstract IEnumerable<(string Name, Tensor Value)> State { get; }

    protected static Tensor[] Slots(IReadOnlyList<(string Name, Parameter Parameter)> ps) =>
        ps.Select(p => new Tensor(p.Parameter.Shape)).ToArray();
}

/// <summary>SGD with momentum: b = μ·b + g (b = g at the first step), w −= lr·b (μ = 0: w −= lr·g).</summary>
public sealed class Sgd : Optimizer
{
    private readonly Tensor[] _buf;

    public Sgd(IReadOnlyList<(string Name, Parameter Parameter)> parameters, OptimizerOptions options) : base(parameters, options)
        => _buf = Slots(parameters);

    protected override void Update(int index, Parameter p, float lr)
    {
        var w = p.Value.Span;
        var g = p.Grad.Span;
        var b = _buf[index].Span;
        float mu = Options.Momentum, wd = Options.WeightDecay;
        bool first = StepCount == 1;
        for (int i = 0; i < w.Length; i++)
        {
            float gi = g[i] + wd * w[i];
            if (mu != 0f)
            {
                b[i] = first ? gi : mu * b[i] + gi;
                gi = b[i];
            }
            w[i] -= lr * gi;
        }
    }

    public override IEnumerable<(string Name, Tensor Value)> State =>
        Options.Momentum == 0f ? [] : Parameters.Select((p, i) => (p.Name + ".momentum_buffer", _buf[i]));
}

/// <summary>RMSProp: v = α·v + (1 − α)·g², w −= lr·g / (√v + ε).</summary>
public sealed class RmsProp : Optimizer
{
    private readonly Tensor[] _sq;

    public RmsProp(IReadOnlyList<(string Name, Parameter Parameter)> parameters, OptimizerOptions options) : base(parameters, options)
        => _sq = Slots(parameters);

    protected override void Update(int index, Parameter p, float lr)
    {
        var w = p.Value.Span;
        var g = p.Grad.Span;
        var v = _sq[index].Span;
        float a = Options.Alpha, eps = Options.Epsilon, wd = Options.WeightDecay;
        for (int i = 0; i < w.Length; i++)
        {
            float gi = g[i] + wd * w[i];
            v[i] = a * v[i] + (1 - a) * gi * gi;
            w[i] -= lr * gi / (MathF.Sqrt(v[i]) + eps);
        }
    }

    public override IEnumerable<(string Name, Tensor Value)> State => Parameters.Select((p, i) => (p.Name + ".square_avg", _sq[i]));
}

/// <summary>
/// Adam (Kingma &amp; Ba 2015) and AdamW (Loshchilov &amp; Hutter 2019), PyTorch's arithmetic:
/// m = β₁m + (1−β₁)g, v = β₂v + (1−β₂)g², w −= (lr/(1−β₁ᵗ)) · m / (√v/√(1−β₂ᵗ) + ε).
/// </summary>
public sealed class Adam : Optimizer
{
    private readonly Tensor[] _m, _v;

    public Adam(IReadOnlyList<(string Name, Parameter Parameter)> parameters, OptimizerOptions options) : base(parameters, options)
    {
        _m = Slots(parameters);
        _v = Slots(parameters);
    }

    protected override void Update(int index, Parameter p, float lr)
    {
        var w = p.Value.Span;
        var g = p.Grad.Span;
        var m = _m[index].Span;
        var v = _v[index].Span;
        float b1 = Options.Beta1, b2 = Options.Beta2, eps = Options.Epsilon, wd = Options.WeightDecay;
        bool decoupled = Options.Kind == OptimizerKind.AdamW;
        double bc1 = 1 - Math.Pow(b1, StepCount), bc2 = 1 - Math.Pow(b2, StepCount);
        float stepSize = (float)(lr / bc1);
        float invSqrtBc2 = (float)(1 / Math.Sqrt(bc2));
        float decay = decoupled ? 1f - lr * wd : 1f;
        float l2 = decoupled ? 0f : wd;
        int n = w.Length, i = 0, vc = Vector<float>.Count;
        var vb1 = new Vector<float>(b1);
        var vb1c = new Vector<float>(1 - b1);
        var vb2 = new Vector<float>(b2);
        var vb2c = new Vector<float>(1 - b2);
        var vEps = new Vector<float>(eps);
        var vStep = new Vector<float>(stepSize);
        var vInv = new Vector<float>(invSqrtBc2);
        var vDecay = new Vector<float>(decay);
        var vL2 = new Vector<float>(l2);
        for (; i <= n - vc; i += vc)
        {
            var wi = new Vector<float>(w[i..]) * vDecay;
            var gi = new Vector<float>(g[i..]) + vL2 * wi;
            var mi = vb1 * new Vector<float>(m[i..]) + vb1c * gi;
            var vi = vb2 * new Vector<float>(v[i..]) + vb2c * gi * gi;
            mi.CopyTo(m[i..]);
            vi.CopyTo(v[i..]);
            (wi - vStep * mi / (Vector.SquareRoot(vi) * vInv + vEps)).CopyTo(w[i..]);
        }
        for (; i < n; i++)
        {
            float wi = w[i] * decay;
            float gi = g[i] + l2 * wi;
            m[i] = b1 * m[i] + (1 - b1) * gi;
            v[i] = b2 * v[i] + (1 - b2) * gi * gi;
            w[i] = wi - stepSize * m[i] / (MathF.Sqrt(v[i]) * invSqrtBc2 + eps);
        }
    }

    public override IEnumerable<(string Name, Tensor Value)> State =>
        Parameters.SelectMany((p, i) => new[] { (p.Name + ".exp_avg", _m[i]), (p.Name + ".exp_avg_sq", _v[i]) });
}
