using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Recur.Cells;

/// <summary>
/// W_ih and W_hh of one LSTM direction laid out for the streaming step at batch ≤ 4, for a model whose weights
/// no longer change (<see cref="Layers.FrozenSequential"/>). Row r of [W_ih | W_hh] (K = I + H values, zero-padded
/// to K' = a multiple of 16) belongs to gate q = r / H and unit j = r mod H; the units of a gate go in groups of
/// four, and a group's four rows are interleaved in chunks of 16 floats: chunk 0 of units j..j+3, then chunk 1 …
/// So the rows of a part of the step (units [j0, j1) of each gate) are four long sequential runs, one per gate,
/// and a group's four dot products read one stream. At batch 1 the step is a stream of the weights from L3
/// (3.5 MB for the T1 model): row-major rows read four at a time are four interleaved streams, which the hardware
/// prefetcher follows less well. Measured on the Zen 4 host, one thread: 23 against 19 G floats/s from L3.
/// </summary>
internal sealed unsafe class LstmStreamWeights
{
    private const int Chunk = 16;
    private readonly float[] _data;   // pinned: [4 gates][⌈H/4⌉ groups][K'/16 chunks][4 rows][16]

    public int InputSize { get; }
    public int Hidden { get; }
    /// <summary>K' = I + H rounded up to a multiple of 16: the length of the x|h vector the dot products read.</summary>
    public int Width { get; }
    private int Groups => (Hidden + 3) / 4;

    /// <param name="wIh">[4H, I]</param> <param name="wHh">[4H, H]</param>
    public LstmStreamWeights(ReadOnlySpan<float> wIh, ReadOnlySpan<float> wHh, int inputSize, int hidden)
    {
        if (wIh.Length < 4 * hidden * inputSize || wHh.Length < 4 * hidden * hidden)
            throw new ArgumentException($"LSTM stream weights: W_ih or W_hh shorter than [4·{hidden}, {inputSize}] / [4·{hidden}, {hidden}]");
        InputSize = inputSize;
        Hidden = hidden;
        Width = (inputSize + hidden + Chunk - 1) / Chunk * Chunk;
        _data = GC.AllocateArray<float>(4 * Groups * 4 * Width, pinned: true);
        int chunks = Width / Chunk;
        for (int q = 0; q < 4; q++)
            for (int j = 0; j < hidden; j++)
            {
                int r = q * hidden + j;
                var row = wIh.Slice(r * inputSize, inputSize);
                var rec = wHh.Slice(r * hidden, hidden);
                int groupStart = (q * Groups + j / 4) * 4 * Width, lane = j % 4;
                for (int k = 0; k < inputSize + hidden; k++)
                    _data[groupStart + (k / Chunk * 4 + lane) * Chunk + k % Chunk] = k < inputSize ? row[k] : rec[k - inputSize];
            }
    }

    /// <summary>
    /// a[q·H + j] = bias[q·H + j] + xh · [W_ih | W_hh][q·H + j] for the units j of [<paramref name="j0"/>,
    /// <paramref name="j1"/>) of every gate q; <paramref name="xh"/> is [x | h | 0] (<see cref="Width"/> values),
    /// <paramref name="j0"/> a multiple of 4.
    /// </summary>
    public void Gates(float* xh, float* bias, float* a, int j0, int j1)
    {
        int H = Hidden, chunks = Width / Chunk;
        fixed (float* data = _data)
            for (int q = 0; q < 4; q++)
                for (int j = j0; j < j1; j += 4)
                {
                    Dot4(xh, data + (nint)(q * Groups + j / 4) * 4 * Width, chunks, out float s0, out float s1, out float s2, out float s3);
                    int r = q * H + j, valid = Math.Min(4, j1 - j);
                    a[r] = bias[r] + s0;
                    if (valid > 1) a[r + 1] = bias[r + 1] + s1;
                    if (valid > 2) a[r + 2] = bias[r + 2] + s2;
                    if (valid > 3) a[r + 3] = bias[r + 3] + s3;
                }
    }

    /// <summary>The four dot products of one group: xh · row_i for i = 0..3, the rows interleaved by chunks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot4(float* xh, float* w, int chunks, out float s0, out float s1, out float s2, out float s3)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            var a0 = Vector512<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0;
            for (int c = 0; c < chunks; c++, w += 4 * Chunk)
            {
                var x = Vector512.Load(xh + c * Chunk);
                a0 = Vector512.FusedMultiplyAdd(x, Vector512.Load(w), a0);
                a1 = Vector512.FusedMultiplyAdd(x, Vector512.Load(w + Chunk), a1);
                a2 = Vector512.FusedMultiplyAdd(x, Vector512.Load(w + 2 * Chunk), a2);
                a3 = Vector512.FusedMultiplyAdd(x, Vector512.Load(w + 3 * Chunk), a3);
            }
            s0 = Vector512.Sum(a0); s1 = Vector512.Sum(a1); s2 = Vector512.Sum(a2); s3 = Vector512.Sum(a3);
            return;
        }
        // Vector<float> of 4 or 8 lanes (NEON, AVX2): a chunk is 16 / Count vectors.
        var b0 = Vector<float>.Zero; var b1 = b0; var b2 = b0; var b3 = b0;
        int n = Vector<float>.Count;
        for (int c = 0; c < chunks; c++, w += 4 * Chunk)
            for (int v = 0; v < Chunk; v += n)
            {
                var x = Vector.Load(xh + c * Chunk + v);
                b0 = Vector.FusedMultiplyAdd(x, Vector.Load(w + v), b0);
                b1 = Vector.FusedMultiplyAdd(x, Vector.Load(w + Chunk + v), b1);
                b2 = Vector.FusedMultiplyAdd(x, Vector.Load(w + 2 * Chunk + v), b2);
                b3 = Vector.FusedMultiplyAdd(x, Vector.Load(w + 3 * Chunk + v), b3);
            }
        s0 = Vector.Sum(b0); s1 = Vector.Sum(b1); s2 = Vector.Sum(b2); s3 = Vector.Sum(b3);
    }
}
