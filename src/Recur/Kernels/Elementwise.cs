using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Recur.Kernels;

/// <summary>
/// Element-wise kernels, span in / span out, no allocation (TensorPrimitives style).
/// Destination may alias a source of the same length.
/// </summary>
public static class Elementwise
{
    /// <summary>y = 1 / (1 + e^-x). (TensorPrimitives refuses an empty span; here it is a no-op.)</summary>
    public static void Sigmoid(ReadOnlySpan<float> x, Span<float> y)
    {
        if (!x.IsEmpty) TensorPrimitives.Sigmoid(x, y);
    }

    /// <summary>y = tanh(x)</summary>
    public static void Tanh(ReadOnlySpan<float> x, Span<float> y)
    {
        if (!x.IsEmpty) TensorPrimitives.Tanh(x, y);
    }

    /// <summary>y = max(0, x)</summary>
    public static void Relu(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Max(x, 0f, y);

    /// <summary>dx = dy ⊙ σ(x)(1 − σ(x)), given s = σ(x).</summary>
    public static void SigmoidBackward(ReadOnlySpan<float> s, ReadOnlySpan<float> dy, Span<float> dx)
    {
        CheckSameLength(s.Length, dy.Length, dx.Length);
        int i = 0;
        var one = Vector<float>.One;
        for (; i <= s.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var sv = new Vector<float>(s.Slice(i));
            (new Vector<float>(dy.Slice(i)) * sv * (one - sv)).CopyTo(dx.Slice(i));
        }
        for (; i < s.Length; i++) dx[i] = dy[i] * s[i] * (1f - s[i]);
    }

    /// <summary>dx = dy ⊙ (1 − tanh²(x)), given t = tanh(x).</summary>
    public static void TanhBackward(ReadOnlySpan<float> t, ReadOnlySpan<float> dy, Span<float> dx)
    {
        CheckSameLength(t.Length, dy.Length, dx.Length);
        int i = 0;
        var one = Vector<float>.One;
        for (; i <= t.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var tv = new Vector<float>(t.Slice(i));
            (new Vector<float>(dy.Slice(i)) * (one - tv * tv)).CopyTo(dx.Slice(i));
        }
        for (; i < t.Length; i++) dx[i] = dy[i] * (1f - t[i] * t[i]);
    }

    /// <summary>dx = dy where y &gt; 0, else 0, given y = relu(x).</summary>
    public static void ReluBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        CheckSameLength(y.Length, dy.Length, dx.Length);
        for (int i = 0; i < y.Length; i++) dx[i] = y[i] > 0f ? dy[i] : 0f;
    }

    /// <summary>z = x + y</summary>
    public static void Add(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> z) => TensorPrimitives.Add(x, y, z);

    /// <summary>z = x ⊙ y</summary>
    public static void Multiply(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> z) => TensorPrimitives.Multiply(x, y, z);

    /// <summary>w = x ⊙ y + z</summary>
    public static void MultiplyAdd(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> z, Span<float> w)
        => TensorPrimitives.FusedMultiplyAdd(x, y, z, w);

    /// <summary>y += a·x</summary>
    public static void Axpy(float a, ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.MultiplyAdd(x, a, y, y);

    /// <summary>Each row of <paramref name="matrix"/> <c>[rows, bias.Length]</c> += bias.</summary>
    public static void AddRowVector(Span<float> matrix, ReadOnlySpan<float> bias)
    {
        int n = bias.Length;
        if (n == 0) return;
        CheckWholeRows(matrix.Length, n);
        // Our own loop, not TensorPrimitives per row: its fixed cost per call (≈ 100 ns) exceeded the work
        // for the short rows of a small layer (a gate row of 200 values).
        ref float m = ref MemoryMarshal.GetReference(matrix);
        ref float b = ref MemoryMarshal.GetReference(bias);
        int w = Vector<float>.Count, vectorEnd = n - n % w;
        for (nuint r = 0; r < (nuint)matrix.Length; r += (nuint)n)
        {
            int j = 0;
            for (; j < vectorEnd; j += w)
                (Vector.LoadUnsafe(ref m, r + (nuint)j) + Vector.LoadUnsafe(ref b, (nuint)j)).StoreUnsafe(ref m, r + (nuint)j);
            for (; j < n; j++) Unsafe.Add(ref m, r + (nuint)j) += Unsafe.Add(ref b, j);
        }
    }

    /// <summary>sums[j] += Σ_r matrix[r, j]  (bias gradients: column sums of a <c>[rows, N]</c> matrix).</summary>
    /// <remarks>Rows are added in order (the same sums as one row at a time), four rows per pass over the sums.</remarks>
    public static void AccumulateColumnSums(ReadOnlySpan<float> matrix, Span<float> sums)
    {
        int n = sums.Length;
        if (n == 0) return;
        CheckWholeRows(matrix.Length, n);
        ref float m = ref MemoryMarshal.GetReference(matrix);
        ref float s = ref MemoryMarshal.GetReference(sums);
        int rows = matrix.Length / n, w = Vector<float>.Count, vectorEnd = n - n % w, r = 0;
        nuint un = (nuint)n;
        for (; r + 4 <= rows; r += 4)
        {
            nuint r0 = (nuint)r * un;
            int j = 0;
            for (; j < vectorEnd; j += w)
            {
                nuint u = r0 + (nuint)j;
                var acc = Vector.LoadUnsafe(ref s, (nuint)j) + Vector.LoadUnsafe(ref m, u);
                acc += Vector.LoadUnsafe(ref m, u + un);
                acc += Vector.LoadUnsafe(ref m, u + 2 * un);
                acc += Vector.LoadUnsafe(ref m, u + 3 * un);
                acc.StoreUnsafe(ref s, (nuint)j);
            }
            for (; j < n; j++)
            {
                nuint u = r0 + (nuint)j;
                float acc = Unsafe.Add(ref s, j) + Unsafe.Add(ref m, u);
                acc += Unsafe.Add(ref m, u + un);
                acc += Unsafe.Add(ref m, u + 2 * un);
                acc += Unsafe.Add(ref m, u + 3 * un);
                Unsafe.Add(ref s, j) = acc;
            }
        }
        for (; r < rows; r++)
            for (int j = 0; j < n; j++) Unsafe.Add(ref s, j) += Unsafe.Add(ref m, (nuint)r * un + (nuint)j);
    }

    private static void CheckWholeRows(int length, int n)
    {
        if (length % n != 0)
            throw new ArgumentException($"matrix of {length} elements is not a whole number of rows of {n}");
    }

    /// <summary>Σ x² (in float64 for accuracy over long spans).</summary>
    public static double SumOfSquares(ReadOnlySpan<float> x)
    {
        double s = 0;
        foreach (float v in x) s += (double)v * v;
        return s;
    }

    private static void CheckSameLength(int a, int b, int c)
    {
        if (a != b || a != c) throw new ArgumentException($"span lengths differ: {a}, {b}, {c}");
    }
}
