using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Recur.Training;

/// <summary>
/// Fills large dropout masks eight 64-bit draws at a time: eight xoshiro256** streams side by side in two
/// <see cref="Vector256{T}"/> sets of four, seeded (SplitMix64) from one 64-bit seed that the caller draws from its
/// <see cref="Rng"/>. Branch-free: a scalar draw-and-compare loop mispredicted the keep/drop branch and cost
/// ≈ 4 ns per value. The values depend only on the seed (integer vector operations, the same on every platform).
/// </summary>
internal static class DropoutMasks
{
    /// <summary>mask[i] = 0 with probability p, else keep. Each 64-bit draw gives two 24-bit uniforms (bits 8–31
    /// and 40–63): u·2⁻²⁴ &lt; p ⇔ u &lt; ⌈p·2²⁴⌉ for integers u &lt; 2²⁴.</summary>
    public static void Fill(ulong seed, Span<float> mask, float p, float keep)
    {
        ulong x = seed;
        var a = new Streams(ref x);
        var b = new Streams(ref x);
        var threshold = Vector256.Create((int)MathF.Ceiling(p * 16777216f));
        var keepV = Vector256.Create(keep);
        ref float dst = ref MemoryMarshal.GetReference(mask);
        int i = 0, n = mask.Length;
        for (; i + 16 <= n; i += 16)
        {
            a.NextMask(threshold, keepV).StoreUnsafe(ref dst, (nuint)i);
            b.NextMask(threshold, keepV).StoreUnsafe(ref dst, (nuint)(i + 8));
        }
        if (i < n)
        {
            Span<float> rest = stackalloc float[16];
            a.NextMask(threshold, keepV).CopyTo(rest);
            b.NextMask(threshold, keepV).CopyTo(rest[8..]);
            rest[..(n - i)].CopyTo(mask[i..]);
        }
    }

    /// <summary>Four xoshiro256** generators, one per lane.</summary>
    private struct Streams
    {
        private Vector256<ulong> _s0, _s1, _s2, _s3;

        public Streams(ref ulong splitMix)
        {
            _s0 = Seed4(ref splitMix);
            _s1 = Seed4(ref splitMix);
            _s2 = Seed4(ref splitMix);
            _s3 = Seed4(ref splitMix);
        }

        private static Vector256<ulong> Seed4(ref ulong x) =>
            Vector256.Create(Rng.SplitMix(ref x), Rng.SplitMix(ref x), Rng.SplitMix(ref x), Rng.SplitMix(ref x));

        /// <summary>Eight mask values from one step of the four generators.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> NextMask(Vector256<int> threshold, Vector256<float> keep)
        {
            // xoshiro256** (Rng.NextUInt64, per lane): result = rotl(s1·5, 7)·9, products as shifts and adds (no 64-bit
            // vector multiply on AVX2)
            var s1x5 = (_s1 << 2) + _s1;
            var rotated = (s1x5 << 7) | (s1x5 >> 57);
            var result = (rotated << 3) + rotated;
            var t = _s1 << 17;
            _s2 ^= _s0;
            _s3 ^= _s1;
            _s1 ^= _s2;
            _s0 ^= _s3;
            _s2 ^= t;
            _s3 = (_s3 << 45) | (_s3 >> 19);
            var uniforms = (result.AsUInt32() >> 8).AsInt32();   // eight 24-bit integers
            var drop = Vector256.LessThan(uniforms, threshold).AsSingle();
            return Vector256.ConditionalSelect(drop, Vector256<float>.Zero, keep);
        }
    }
}
