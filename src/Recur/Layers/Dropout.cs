using Recur.Kernels;
using Recur.Training;

namespace Recur.Layers;

/// <summary>
/// Inverted dropout on a time-major <c>[T, B, F]</c> sequence: in training each value is kept with
/// probability 1 − p and scaled by 1/(1 − p); at inference it is the identity.
/// <para><see cref="Variational"/> (Gal &amp; Ghahramani 2016): one mask <c>[B, F]</c> drawn per forward call
/// and used at every time step, instead of a fresh mask per step.</para>
/// </summary>
public sealed class Dropout
{
    private float[] _mask = [];   // [T·B·F] (or [B·F] variational), values 0 or 1/(1−p)
    private int _t, _b, _f;
    private bool _active;

    public float P { get; }
    public bool Variational { get; }

    public Dropout(float p, bool variational = false)
    {
        if (!(p >= 0 && p < 1)) throw new ArgumentException($"dropout probability must be in [0, 1), got {p}");
        P = p;
        Variational = variational;
    }

    /// <summary>y = x ⊙ mask (training) or y = x (inference). y may alias x.</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, int T, int B, int F, bool training, Rng rng)
    {
        _active = training && P > 0;
        _t = T; _b = B; _f = F;
        if (!_active)
        {
            x.CopyTo(y);
            return;
        }
        int n = Variational ? B * F : T * B * F;
        if (_mask.Length != n) _mask = new float[n];
        float keep = 1f / (1f - P);
        rng.FillDropoutMask(_mask, P, keep);
        Apply(x, y);
    }

    /// <summary>Forward with a given mask (tests, and callers that draw their own): <c>[T·B·F]</c>, or <c>[B·F]</c> if variational.</summary>
    public void ForwardWithMask(ReadOnlySpan<float> x, Span<float> y, int T, int B, int F, ReadOnlySpan<float> mask)
    {
        int n = Variational ? B * F : T * B * F;
        if (mask.Length != n) throw new ArgumentException($"dropout mask: expected {n} values, got {mask.Length}");
        _t = T; _b = B; _f = F;
        _active = true;
        _mask = mask.ToArray();
        Apply(x, y);
    }

    /// <summary>dx = dy ⊙ mask of the last Forward (identity at inference). dx may alias dy.</summary>
    public void Backward(ReadOnlySpan<float> dy, Span<float> dx)
    {
        if (!_active)
        {
            dy.CopyTo(dx);
            return;
        }
        Apply(dy, dx);
    }

    private void Apply(ReadOnlySpan<float> x, Span<float> y)
    {
        int step = _b * _f;
        if (x.Length != _t * step || y.Length != x.Length) throw new ArgumentException($"dropout: expected [{_t}, {_b}, {_f}] values");
        if (!Variational)
        {
            Elementwise.Multiply(x, _mask, y);
            return;
        }
        for (int t = 0; t < _t; t++)
            Elementwise.Multiply(x.Slice(t * step, step), _mask, y.Slice(t * step, step));
    }
}
