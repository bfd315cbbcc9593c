namespace Recur.Training;

/// <summary>
/// A seeded pseudo-random generator (xoshiro256**) whose whole state is four integers, so a
/// checkpoint can store it and a resumed run draws exactly the numbers an uninterrupted run would.
/// </summary>
public sealed class Rng
{
    private ulong _s0, _s1, _s2, _s3;

    public Rng(ulong seed)
    {
        // SplitMix64 expands the seed into a non-zero state.
        ulong x = seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    internal static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1), 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, 1), 24 random bits.</summary>
    public float NextFloat() => (NextUInt64() >> 40) * (1f / (1 << 24));

    /// <summary>
    /// A dropout mask: each value 0 with probability <paramref name="p"/>, else <paramref name="keep"/>. Masks of
    /// 64 values or more take one draw here, the seed of <see cref="DropoutMasks"/>'s vector generators; smaller
    /// ones two 24-bit uniforms per draw (bits 40–63, then 16–39).
    /// </summary>
    public void FillDropoutMask(Span<float> mask, float p, float keep)
    {
        if (mask.Length >= 64)
        {
            DropoutMasks.Fill(NextUInt64(), mask, p, keep);
            return;
        }
        uint threshold = (uint)MathF.Ceiling(p * 16777216f);   // u·2⁻²⁴ < p ⇔ u < ⌈p·2²⁴⌉ for integers u < 2²⁴
        int i = 0;
        for (; i + 1 < mask.Length; i += 2)
        {
            ulong x = NextUInt64();
            mask[i] = (uint)(x >> 40) < threshold ? 0f : keep;
            mask[i + 1] = (uint)((x >> 16) & 0xFFFFFF) < threshold ? 0f : keep;
        }
        if (i < mask.Length) mask[i] = (uint)(NextUInt64() >> 40) < threshold ? 0f : keep;
    }

    /// <summary>Uniform in [lo, hi).</summary>
    public double Uniform(double lo, double hi) => lo + (hi - lo) * NextDouble();

    /// <summary>Uniform integer in [0, n).</summary>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), $"n must be positive, got {n}");
        return (int)((NextUInt64() >> 1) % (ulong)n);
    }

    /// <summary>Standard normal (Box–Muller, one value per call: no hidden cached state).</summary>
    public double NextGaussian()
    {
        double u1 = 1.0 - NextDouble(); // (0, 1]
        double u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>The state as 64 hex digits (for checkpoints).</summary>
    public string SaveState() => $"{_s0:x16}{_s1:x16}{_s2:x16}{_s3:x16}";

    public void RestoreState(string state)
    {
        if (state is null || state.Length != 64)
            throw new InvalidDataException("random generator state: expected 64 hex digits");
        try
        {
            _s0 = Convert.ToUInt64(state[..16], 16);
            _s1 = Convert.ToUInt64(state[16..32], 16);
            _s2 = Convert.ToUInt64(state[32..48], 16);
            _s3 = Convert.ToUInt64(state[48..], 16);
        }
        catch (FormatException)
        {
            throw new InvalidDataException("random generator state: expected 64 hex digits");
        }
        if ((_s0 | _s1 | _s2 | _s3) == 0) throw new InvalidDataException("random generator state is all zero");
    }
}
